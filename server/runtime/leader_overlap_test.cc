// The leader's fsync overlaps its followers' (node_runtime.h CONTRACT "Overlap", issue 8), and
// that overlap never lets a message certify what is not durable: a 3-node simulated cluster
// (zab::testing::Cluster: every node a real NodeRuntime over real Storage on a MemEnv) looked at
// at the moment each message leaves a node, against what a crash of the nodes would leave then.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <variant>

#include "server/core/testing/cluster.h"
#include "server/runtime/node_runtime.h"

namespace runtime {
namespace {

using zab::Envelope;
using zab::Zxid;
using zab::testing::Cluster;
using zab::testing::DurableState;
using zab::testing::SetOp;

// Whether a crash now would leave txn `z` on this disk (in its log, or under a snapshot).
bool Holds(const DurableState& d, Zxid z) {
  for (const auto& [zxid, state] : d.snapshots) {
    if (zxid >= z) return true;
  }
  for (const zab::Txn& t : d.log) {
    if (t.zxid == z) return true;
  }
  return false;
}

// "" if what `e` certifies is durable right now, else what is not (zab.md 7.3 rules 1 and 4,
// and "nothing acknowledged that is not durable on a quorum"):
//  * ACK of a proposal: the sender's disk holds it; ACK of NEWLEADER: currentEpoch is written;
//  * ACKEPOCH: acceptedEpoch is written;
//  * COMMIT: the sender's disk holds the zxid, and (a txn of the leader's epoch, committed by
//    ACKs) so do a quorum of the disks.
std::string Uncertified(const Cluster& c, uint64_t from, const Envelope& e) {
  const DurableState& mine = c.durable(from);
  if (const auto* a = std::get_if<zab::Ack>(&e.message)) {
    if (a->zxid.is_epoch_marker()) {
      return mine.current_epoch >= a->zxid.epoch() ? "" : "NEWLEADER ACK before currentEpoch";
    }
    return Holds(mine, a->zxid) ? "" : "ACK of " + zab::ToHex(a->zxid) + " before it is durable";
  }
  if (const auto* a = std::get_if<zab::AckEpoch>(&e.message)) {
    return mine.accepted_epoch >= a->epoch ? "" : "ACKEPOCH before acceptedEpoch is durable";
  }
  if (const auto* m = std::get_if<zab::Commit>(&e.message)) {
    if (!Holds(mine, m->zxid)) {
      return "COMMIT of " + zab::ToHex(m->zxid) + " before the leader's own fsync of it";
    }
    // A sync stream also carries COMMITs of older epochs' txns: the new leader's initial
    // history, which becomes committed by the NEWLEADER quorum (zab.md 5), not by ACKs.
    if (m->zxid.epoch() != m->epoch) return "";
    size_t holders = 0;
    for (uint64_t id = 1; id <= c.size(); ++id) holders += Holds(c.durable(id), m->zxid);
    if (holders < c.size() / 2 + 1) {
      return "COMMIT of " + zab::ToHex(m->zxid) + " durable on " + std::to_string(holders) +
             " nodes only";
    }
  }
  return "";
}

uint64_t ElectLeader(Cluster& c) {
  EXPECT_TRUE(c.RunUntil([&] { return c.Leader().has_value(); }, 20000));
  return c.Leader().value_or(1);
}

TEST(LeaderFsyncOverlap, TheLeaderSendsItsProposalBeforeItsOwnFsyncCompletes) {
  Cluster c(3, zab::Config{}, /*seed=*/7);
  const uint64_t leader = ElectLeader(c);
  // For each PROPOSAL the leader hands over: was the txn already durable on its disk?
  std::vector<bool> durable_at_send;
  c.on_send = [&](uint64_t from, const Envelope& e) {
    if (const auto* p = std::get_if<zab::Proposal>(&e.message); p && from == leader) {
      durable_at_send.push_back(Holds(c.durable(leader), p->txn.zxid));
    }
  };
  const uint64_t rid = c.Write(leader, SetOp("k", "v1"));
  c.DeliverAll();
  ASSERT_EQ(durable_at_send, (std::vector<bool>{false, false}));  // one per follower
  ASSERT_TRUE(c.ReplyFor(leader, rid).has_value());
  EXPECT_EQ(c.ReplyFor(leader, rid)->status, zab::ReplyStatus::kOk);

  // The knob off is the order before the overlap: the PROPOSAL waits for the leader's fsync.
  c.runtime(leader).overlap_leader_fsync = false;
  durable_at_send.clear();
  const uint64_t rid2 = c.Write(leader, SetOp("k", "v2"));
  c.DeliverAll();
  EXPECT_EQ(durable_at_send, (std::vector<bool>{true, true}));
  ASSERT_TRUE(c.ReplyFor(leader, rid2).has_value());
}

TEST(LeaderFsyncOverlap, ACommitOfAZxidTheSameBatchAppendsWaitsForTheLeadersFsync) {
  // commit-without-quorum makes the core commit a write on the leader's own ACK in the very
  // Output that appends it: the only way a COMMIT and its txn share a batch. Its COMMIT must not
  // go out with the early PROPOSALs: the leader's ACK counts only once its fsync completed.
  zab::Config config;
  config.faults = {"commit-without-quorum"};
  Cluster c(3, config, /*seed=*/3);
  const uint64_t leader = ElectLeader(c);
  int commits = 0;
  std::string bad;
  c.on_send = [&](uint64_t from, const Envelope& e) {
    if (const auto* m = std::get_if<zab::Commit>(&e.message); m && from == leader) {
      ++commits;
      if (!Holds(c.durable(leader), m->zxid)) bad = "COMMIT " + zab::ToHex(m->zxid) + " early";
    }
  };
  c.Write(leader, SetOp("k", "v"));
  c.DeliverAll();
  EXPECT_EQ(commits, 2);
  EXPECT_EQ(bad, "");
}

TEST(LeaderFsyncOverlap, ACommitAnEarlierFsyncCoveredLeavesWithTheProposalsBeforeTheFsync) {
  // Group commit: one leader batch holds the COMMIT of write 1 (logged by an earlier batch, ACKed)
  // and the PROPOSAL of write 2. Both go before the batch's fsync, in link order.
  Cluster c(3, zab::Config{}, /*seed=*/11);
  const uint64_t leader = ElectLeader(c);
  c.set_group_commit(true);
  c.Write(leader, SetOp("a", "1"));
  c.FlushAll();  // the leader logs write 1 and proposes it
  while (c.DeliverOne()) {
  }
  c.FlushAll();  // the followers log it and ACK
  while (c.DeliverOne()) {
  }                                  // the leader takes the ACKs: the COMMIT of write 1 is queued
  c.Write(leader, SetOp("b", "2"));  // the PROPOSAL of write 2 joins the same batch
  const uint64_t fsyncs_before = c.runtime(leader).storage().fsync_count();
  std::vector<std::pair<std::string, uint64_t>> sent;  // type, the leader's fsyncs at send
  c.on_send = [&](uint64_t from, const Envelope& e) {
    if (from != leader) return;
    const char* type = std::holds_alternative<zab::Commit>(e.message)     ? "commit"
                       : std::holds_alternative<zab::Proposal>(e.message) ? "proposal"
                                                                          : "other";
    sent.push_back({type, c.runtime(leader).storage().fsync_count()});
  };
  c.FlushAll();
  using Sent = std::vector<std::pair<std::string, uint64_t>>;
  EXPECT_EQ(sent, (Sent{{"commit", fsyncs_before},
                        {"commit", fsyncs_before},
                        {"proposal", fsyncs_before},
                        {"proposal", fsyncs_before}}));
  EXPECT_EQ(c.runtime(leader).storage().fsync_count(), fsyncs_before + 1);
}

// Random writes at every node, crashes between any two storage calls, restarts: at the moment any
// message leaves any node, what it certifies is durable (on the sender, and for a COMMIT on a
// quorum). The overlap sends before the fsync; this is what it must never send early.
TEST(LeaderFsyncOverlap, NoMessageEverCertifiesWhatIsNotDurableUnderCrashesAndGroupCommit) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    Cluster c(3, zab::Config{}, seed);
    c.set_group_commit(seed % 2 == 0);
    std::vector<std::string> violations;
    uint64_t commits = 0, early_proposals = 0;
    c.on_send = [&](uint64_t from, const Envelope& e) {
      if (std::holds_alternative<zab::Commit>(e.message)) ++commits;
      if (const auto* p = std::get_if<zab::Proposal>(&e.message)) {
        early_proposals += !Holds(c.durable(from), p->txn.zxid);
      }
      if (std::string why = Uncertified(c, from, e); !why.empty() && violations.size() < 5) {
        violations.push_back("node " + std::to_string(from) + ": " + why);
      }
    };
    std::mt19937_64 rng(seed);
    for (int round = 0; round < 150; ++round) {
      const uint64_t id = 1 + rng() % 3;
      if (!c.up(id)) {
        if (rng() % 4 == 0) c.Restart(id);
      } else if (rng() % 25 == 0) {
        c.StepAndCrash(id, zab::ClientWrite{100000 + static_cast<uint64_t>(round),
                                            SetOp("k" + std::to_string(round % 4), "x")});
      } else {
        c.Write(id, SetOp("k" + std::to_string(round % 4), std::to_string(round)));
      }
      c.RunFor(20);
    }
    EXPECT_EQ(violations, std::vector<std::string>{}) << "seed " << seed;
    EXPECT_TRUE(c.violations.empty()) << "seed " << seed << ": " << c.violations.front();
    EXPECT_GT(commits, 50u) << "seed " << seed;  // the check was not vacuous
    EXPECT_GT(early_proposals, 20u) << "seed " << seed;
  }
}

}  // namespace
}  // namespace runtime
