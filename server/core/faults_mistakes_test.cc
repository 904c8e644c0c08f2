// Fault points that re-create classic consensus mistakes (fault_points.h), plus the properties
// every point shares: off by default, one name = one deviation, and a healthy cluster without
// faults behaves the same with any one point on. Each test shows the exact deviation a point
// makes, its consequence, and that the default path is the correct protocol.
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <string>

#include "server/core/testing/cluster.h"
#include "server/core/testing/fault_test_util.h"
#include "server/core/testing/lone_peer.h"

namespace zab {
namespace {

using testing::AcksNewLeader;
using testing::Cluster;
using testing::DurableState;
using testing::EventsOf;
using testing::FollowLeader3IntoBroadcast;
using testing::LeadIntoBroadcast;
using testing::LonePeer;
using testing::MakeDisk;
using testing::MakeTxn;
using testing::MessagesOf;
using testing::Prop;
using testing::SetOp;
using testing::StorageKinds;
using testing::Z;

int CountOn(const FaultPoints& f) {
  return f.zk1154 + f.zk2845 + f.zk3911 + f.zk4643 + f.snapshot_uncommitted_tail +
         f.commit_without_quorum + f.vote_ignores_zxid + f.no_epoch_fence +
         f.local_read_as_linearizable + f.forget_accepted_epoch + f.ack_before_fsync;
}

TEST(ZabFaultPoints, AreOffByDefaultAndEachNameEnablesExactlyOneDeviation) {
  EXPECT_TRUE(Config{}.faults.empty());
  EXPECT_EQ(CountOn(FaultPoints{}), 0);
  EXPECT_EQ(CountOn(FaultPoints::FromNames({})), 0);
  EXPECT_EQ(CountOn(FaultPoints::FromNames({"zk-9999", "ZK-1154", "zk-1154 "})), 0);
  EXPECT_GE(FaultPointCatalog().size(), 10u);
  std::set<std::string> names;
  for (const FaultPointInfo& f : FaultPointCatalog()) {
    SCOPED_TRACE(f.name);
    EXPECT_TRUE(names.insert(f.name).second);
    EXPECT_EQ(CountOn(FaultPoints::FromNames({f.name})), 1);
    if (*f.alias) {
      EXPECT_TRUE(names.insert(f.alias).second);
      // An alias names the same deviation.
      FaultPoints a = FaultPoints::FromNames({f.alias});
      FaultPoints b = FaultPoints::FromNames({f.name});
      EXPECT_EQ(CountOn(a), 1);
      EXPECT_EQ(std::memcmp(&a, &b, sizeof a), 0);
    }
    EXPECT_NE(*f.source, '\0');
    EXPECT_NE(*f.deviation, '\0');
  }
  EXPECT_EQ(names, KnownFaults());
  std::set<std::string> all(names.begin(), names.end());
  EXPECT_EQ(CountOn(FaultPoints::FromNames(all)), 11);
  EXPECT_EQ(JoinFaults({"zk-4643", "ack-before-fsync"}), "ack-before-fsync,zk-4643");
  EXPECT_EQ(JoinFaults({}), "");
}

// Without any injected fault (no crash, no partition, no loss), a cluster with any one point on
// answers every write and read and converges to the same state as the correct protocol: a point
// changes behaviour only where its bug lives.
TEST(ZabFaultPoints, AHealthyClusterWithAnyOnePointOnEndsInTheCorrectState) {
  auto run = [](const std::set<std::string>& faults) {
    Config base;
    base.faults = faults;
    Cluster c(3, base, 7);
    EXPECT_TRUE(c.RunUntil([&] { return c.Leader().has_value(); }, 5000));
    std::vector<std::pair<uint64_t, uint64_t>> requests;
    for (int i = 0; i < 30; ++i) {
      uint64_t node = 1 + i % 3;
      requests.emplace_back(
          node, c.Write(node, SetOp("k" + std::to_string(i % 4), "v" + std::to_string(i))));
      c.RunFor(20);
    }
    c.RunFor(500);
    for (auto [node, id] : requests) {
      auto r = c.ReplyFor(node, id);
      EXPECT_TRUE(r && r->status == ReplyStatus::kOk) << "write " << id << " at node " << node;
    }
    std::string reads;
    for (uint64_t node = 1; node <= 3; ++node) {
      for (ReadMode mode : {ReadMode::kLinearizable, ReadMode::kSync, ReadMode::kLocal}) {
        uint64_t id = c.Read(node, "k3", mode);
        c.RunFor(100);
        auto r = c.ReplyFor(node, id);
        EXPECT_TRUE(r && r->status == ReplyStatus::kOk);
        reads += r && r->value ? *r->value + " " : "? ";
      }
    }
    EXPECT_EQ(c.peer(1).StateDigest(), c.peer(2).StateDigest());
    EXPECT_EQ(c.peer(1).StateDigest(), c.peer(3).StateDigest());
    EXPECT_TRUE(c.violations.empty());
    return std::make_pair(c.peer(1).StateDigest(), reads);
  };
  const auto correct = run({});
  for (const FaultPointInfo& f : FaultPointCatalog()) {
    SCOPED_TRACE(f.name);
    EXPECT_EQ(run({f.name}), correct);
  }
}

// ---- commit-without-quorum --------------------------------------------------------------------
TEST(ZabFaults, CommitWithoutQuorumCommitsOnTheLeadersOwnAck) {
  for (bool fault : {false, true}) {
    SCOPED_TRACE(fault);
    std::set<std::string> faults;
    if (fault) faults.insert("commit-without-quorum");
    LonePeer p(3, 3, {}, 1000, faults);
    LeadIntoBroadcast(p);
    Output out = p.Step(ClientWrite{1, SetOp("k", "v")});
    EXPECT_EQ(MessagesOf<Proposal>(out).size(), 2u);  // proposed to both followers either way
    EXPECT_EQ(MessagesOf<Commit>(out).size(), fault ? 2u : 0u);
    EXPECT_EQ(out.replies.size(), fault ? 1u : 0u);
    Output acked = p.Receive(1, Ack{Epoch{1}, Zxid{Z(1, 1)}});
    EXPECT_EQ(acked.replies.size(), fault ? 0u : 1u);  // correct: the quorum's ACK commits
    EXPECT_EQ(p.peer().LocalGet("k"), "v");
  }
}

TEST(ZabFaults, CommitWithoutQuorumAcknowledgesWritesAnIsolatedLeaderThenLoses) {
  for (bool fault : {false, true}) {
    SCOPED_TRACE(fault);
    Config base;
    if (fault) base.faults = {"commit-without-quorum"};
    Cluster c(3, base, 3);
    ASSERT_TRUE(c.RunUntil([&] { return c.Leader().has_value(); }, 5000));
    const uint64_t old = *c.Leader();
    c.Isolate(old);
    uint64_t id = c.Write(old, SetOp("x", "lost?"));
    c.RunFor(50);
    auto r = c.ReplyFor(old, id);
    EXPECT_EQ(r && r->status == ReplyStatus::kOk, fault);  // acknowledged alone
    c.RunFor(3000);
    c.HealAll();
    ASSERT_TRUE(c.RunUntil(
        [&] { return c.Leader() && *c.Leader() != old && c.peer(old).status().leader; }, 10000));
    c.RunFor(300);
    for (uint64_t n = 1; n <= 3; ++n) EXPECT_FALSE(c.peer(n).LocalGet("x").has_value());
  }
}

// ---- vote-ignores-zxid ------------------------------------------------------------------------
TEST(ZabFaults, VoteIgnoresZxidPrefersTheHigherServerIdOverTheLongerHistory) {
  for (bool fault : {false, true}) {
    SCOPED_TRACE(fault);
    std::set<std::string> faults;
    if (fault) faults.insert("vote-ignores-zxid");
    LonePeer p(1, 3, MakeDisk(1, 1, {{1, 1}, {1, 2}}).ToRecovered(), 1000, faults);
    // Node 3 votes for itself with an empty history.
    Output out = p.Receive(3, Vote{Epoch{}, PeerState::kLooking, PeerId{3}, Zxid{}, 1, Epoch{}});
    std::vector<Vote> votes = MessagesOf<Vote>(out);
    if (fault) {
      ASSERT_FALSE(votes.empty());
      EXPECT_EQ(votes[0].leader, PeerId{3});
    } else {
      // Keeps its own, better vote, and tells node 3 (which has not heard it).
      for (const Vote& v : votes) EXPECT_EQ(v.leader, PeerId{1});
    }
  }
}

TEST(ZabFaults, VoteIgnoresZxidTrustsTheWinnersHistoryInDiscovery) {
  // Leader 3 with an empty history hears ACKEPOCH from a follower with (1, 1|2). Correct: the
  // follower is ahead of the leader and is dropped. Fault: it is synced (TRUNC to nothing).
  for (bool fault : {false, true}) {
    SCOPED_TRACE(fault);
    std::set<std::string> faults;
    if (fault) faults.insert("vote-ignores-zxid");
    LonePeer p(3, 3, {}, 1000, faults);
    p.Receive(1, Vote{Epoch{}, PeerState::kLooking, PeerId{3}, Zxid{}, 1, Epoch{}});
    p.Advance(100);
    ASSERT_EQ(p.peer().status().role, Role::kLeading);
    p.Receive(1, FollowerInfo{Epoch{1}});
    Output out = p.Receive(1, AckEpoch{Epoch{2}, 1, Zxid{Z(1, 2)}, Zxid{}});
    EXPECT_EQ(MessagesOf<Trunc>(out).size(), fault ? 1u : 0u);
    EXPECT_EQ(p.peer().status().phase, fault ? Phase::kSynchronization : Phase::kDiscovery);
  }
}

TEST(ZabFaults, VoteIgnoresZxidElectsALaggingNodeAndLosesCommittedWrites) {
  for (bool fault : {false, true}) {
    SCOPED_TRACE(fault);
    Config base;
    if (fault) base.faults = {"vote-ignores-zxid"};
    Cluster c(
        {MakeDisk(1, 1, {{1, 1}, {1, 2}}), MakeDisk(1, 1, {{1, 1}, {1, 2}}), MakeDisk(0, 0, {})},
        base);
    ASSERT_TRUE(c.RunUntil([&] { return c.Leader().has_value(); }, 5000));
    c.RunFor(300);
    EXPECT_EQ(*c.Leader(), fault ? 3u : 2u);
    EXPECT_EQ(c.peer(1).LocalGet("k"), fault ? std::nullopt : std::optional<std::string>("e1.2"));
  }
}

// ---- no-epoch-fence ---------------------------------------------------------------------------
// Follower 1 of 3 in BROADCAST of epoch 2 under leader 3, with an empty history.
void FollowLeader3IntoEpoch2(LonePeer& p) {
  p.ElectLeader(3, Zxid{}, Epoch{});
  p.Receive(3, LeaderInfo{Epoch{2}});
  p.Receive(3, Diff{Epoch{2}, Zxid{}});
  p.Receive(3, NewLeader{Epoch{2}, Zxid{}});
  p.Receive(3, UpToDate{Epoch{2}});
  ASSERT_EQ(p.peer().status().phase, Phase::kBroadcast);
}

TEST(ZabFaults, NoEpochFenceTakesProposalAndCommitFromTheOldEpochsLeader) {
  for (bool fault : {false, true}) {
    SCOPED_TRACE(fault);
    std::set<std::string> faults;
    if (fault) faults.insert("no-epoch-fence");
    LonePeer p(1, 3, {}, 1000, faults);
    FollowLeader3IntoEpoch2(p);
    // Node 2, leader of epoch 1, did not notice epoch 2 yet.
    Output out = p.Receive(2, Prop(1, 1, 1));
    EXPECT_EQ(StorageKinds(out),
              fault ? std::vector<std::string>{"append"} : std::vector<std::string>{});
    std::vector<Envelope> acks;
    for (const Envelope& e : out.messages) {
      if (std::holds_alternative<Ack>(e.message)) acks.push_back(e);
    }
    ASSERT_EQ(acks.size(), fault ? 1u : 0u);
    if (fault) {
      EXPECT_EQ(acks[0].to, PeerId{2});  // to the old leader, in its epoch
      EXPECT_EQ(std::get<Ack>(acks[0].message).epoch, Epoch{1});
    }
    p.Receive(2, Commit{Epoch{1}, Zxid{Z(1, 1)}});
    EXPECT_EQ(p.peer().LocalGet("k"), fault ? std::optional<std::string>("e1.1") : std::nullopt);
    // Still following leader 3 in epoch 2 either way; its own traffic is unchanged.
    EXPECT_EQ(p.peer().status().leader, PeerId{3});
    EXPECT_EQ(p.peer().status().role, Role::kFollowing);
  }
}

// The harm: a stale leader's PROPOSAL whose prev this follower holds rewrites the newer epoch's
// history after prev (log matching is the only check left without the fence), and its ACK lets
// the stale leader commit. The correct follower fences the packet and keeps its history.
TEST(ZabFaults, NoEpochFenceLetsAStaleLeaderRewriteTheNewEpochsHistoryAfterItsPrev) {
  for (bool fault : {false, true}) {
    SCOPED_TRACE(fault);
    std::set<std::string> faults;
    if (fault) faults.insert("no-epoch-fence");
    LonePeer p(1, 3, {}, 1000, faults);
    // Leader 3 of epoch 2 syncs 1|1 (epoch 1's history) and commits 2|1 in broadcast.
    p.ElectLeader(3, Zxid{}, Epoch{});
    p.Receive(3, LeaderInfo{Epoch{2}});
    p.Receive(3, Diff{Epoch{2}, Zxid{Z(1, 1)}});
    p.Receive(3, Prop(2, 1, 1));
    p.Receive(3, Commit{Epoch{2}, Zxid{Z(1, 1)}});
    p.Receive(3, NewLeader{Epoch{2}, Zxid{Z(1, 1)}});
    p.Receive(3, UpToDate{Epoch{2}});
    ASSERT_EQ(p.peer().status().phase, Phase::kBroadcast);
    p.Receive(3, Proposal{Epoch{2}, MakeTxn(2, 1), Zxid{Z(1, 1)}});
    p.Receive(3, Commit{Epoch{2}, Zxid{Z(2, 1)}});
    ASSERT_EQ(p.peer().LocalGet("k"), "e2.1");
    // Node 2, epoch 1's leader, wakes up (a pause) and proposes 1|2 after 1|1.
    Output out = p.Receive(2, Prop(1, 1, 2));
    const std::vector<std::string> rewrite = {"truncate", "append"};
    EXPECT_EQ(StorageKinds(out), fault ? rewrite : std::vector<std::string>());
    const std::vector<Ack> acks = MessagesOf<Ack>(out);
    ASSERT_EQ(acks.size(), fault ? 1u : 0u);
    if (fault) {
      EXPECT_EQ(acks[0].zxid, Zxid{Z(1, 2)});
    }
    EXPECT_EQ(p.peer().status().last_logged, Zxid{fault ? Z(1, 2) : Z(2, 1)});
    EXPECT_EQ(p.peer().LocalGet("k"), fault ? "e1.1" : "e2.1");
    p.Receive(2, Commit{Epoch{1}, Zxid{Z(1, 2)}});
    EXPECT_EQ(p.peer().LocalGet("k"), fault ? "e1.2" : "e2.1");
    // A stale PROPOSAL whose prev this node does not hold is a gap either way (7.3 rule 3).
    out = p.Receive(2, Proposal{Epoch{1}, MakeTxn(1, 9), Zxid{Z(1, 8)}});
    EXPECT_TRUE(StorageKinds(out).empty());
    EXPECT_EQ(p.peer().status().role, fault ? Role::kLooking : Role::kFollowing);
  }
}

// ---- local-read-as-linearizable --------------------------------------------------------------
TEST(ZabFaults, LocalReadAsLinearizableServesAFollowersCopyWithoutAskingTheLeader) {
  for (bool fault : {false, true}) {
    SCOPED_TRACE(fault);
    std::set<std::string> faults;
    if (fault) faults.insert("local-read-as-linearizable");
    LonePeer p(1, 3, {}, 1000, faults);
    FollowLeader3IntoBroadcast(p);
    Output out = p.Step(ClientRead{7, "k", ReadMode::kLinearizable});
    EXPECT_EQ(MessagesOf<ReadRequest>(out).size(), fault ? 0u : 1u);
    EXPECT_EQ(out.replies.size(), fault ? 1u : 0u);
    // Other modes are unchanged: sync still asks the leader, local is still local.
    EXPECT_EQ(MessagesOf<ReadRequest>(p.Step(ClientRead{8, "k", ReadMode::kSync})).size(), 1u);
    EXPECT_EQ(p.Step(ClientRead{9, "k", ReadMode::kLocal}).replies.size(), 1u);
  }
}

TEST(ZabFaults, LocalReadAsLinearizableServesTheLeaderWithoutAQuorumRound) {
  for (bool fault : {false, true}) {
    SCOPED_TRACE(fault);
    std::set<std::string> faults;
    if (fault) faults.insert("local-read-as-linearizable");
    LonePeer p(3, 3, {}, 1000, faults);
    LeadIntoBroadcast(p);
    Output out = p.Step(ClientRead{7, "k", ReadMode::kLinearizable});
    EXPECT_EQ(MessagesOf<Ping>(out).size(), fault ? 0u : 2u);  // the confirmation round
    EXPECT_EQ(out.replies.size(), fault ? 1u : 0u);
  }
}

// ---- forget-accepted-epoch --------------------------------------------------------------------
TEST(ZabFaults, ForgetAcceptedEpochDoesNotPersistThePromiseAndAcksTheEpochTwiceAfterARestart) {
  for (bool fault : {false, true}) {
    SCOPED_TRACE(fault);
    std::set<std::string> faults;
    if (fault) faults.insert("forget-accepted-epoch");
    DurableState disk = MakeDisk(1, 1, {{1, 1}});
    LonePeer p(1, 3, disk.ToRecovered(), 1000, faults);
    p.ElectLeader(3, Zxid{Z(1, 1)}, Epoch{1});
    Output info = p.Receive(3, LeaderInfo{Epoch{2}});
    EXPECT_EQ(StorageKinds(info),
              fault ? std::vector<std::string>{} : std::vector<std::string>{"accepted"});
    ASSERT_EQ(MessagesOf<AckEpoch>(info).size(), 1u);
    EXPECT_EQ(MessagesOf<AckEpoch>(info)[0].current_epoch, 1);  // acked epoch 2 to leader 3
    EXPECT_EQ(p.peer().status().accepted_epoch, Epoch{2});      // the promise, in memory
    for (const StorageOp& op : info.storage) ASSERT_EQ(disk.Execute(op), "");

    // Restart (leader 3 never finished), then leader 2 offers the same epoch 2. Correct: the
    // promise was durable, so the reply is -1 (not an epoch ack). Fault: acked a second time.
    LonePeer again(1, 3, disk.ToRecovered(), 5000, faults);
    again.ElectLeader(2, Zxid{Z(1, 1)}, Epoch{1});
    auto acks = MessagesOf<AckEpoch>(again.Receive(2, LeaderInfo{Epoch{2}}));
    ASSERT_EQ(acks.size(), 1u);
    EXPECT_EQ(acks[0].current_epoch, fault ? 1 : -1);
  }
}

TEST(ZabFaults, ForgetAcceptedEpochWritesAcceptedEpochWithCurrentEpoch) {
  // Storage keeps acceptedEpoch >= currentEpoch (recovery refuses less): under the fault the
  // acceptedEpoch file follows currentEpoch, and only the discovery promise is lost.
  LonePeer p(1, 3, {}, 1000, {"forget-accepted-epoch"});
  Output nl = testing::SyncTwoCommittedTxns(p);
  EXPECT_EQ(StorageKinds(nl), (std::vector<std::string>{"append", "append", "accepted", "epoch"}));
  EXPECT_TRUE(AcksNewLeader(nl));
}

// ---- ack-before-fsync -------------------------------------------------------------------------
TEST(ZabFaults, AckBeforeFsyncAcksTheProposalATickBeforeItIsLogged) {
  for (bool fault : {false, true}) {
    SCOPED_TRACE(fault);
    std::set<std::string> faults;
    if (fault) faults.insert("ack-before-fsync");
    LonePeer p(1, 3, {}, 1000, faults);
    FollowLeader3IntoBroadcast(p);
    Output out = p.Receive(3, Prop(1, 1, 1));
    EXPECT_EQ(MessagesOf<Ack>(out).size(), 1u);
    EXPECT_EQ(StorageKinds(out),
              fault ? std::vector<std::string>{} : std::vector<std::string>{"append"});
    // A second proposal is accepted on top of the queued one (the core's view holds both).
    EXPECT_EQ(MessagesOf<Ack>(p.Receive(3, Prop(1, 1, 2))).size(), 1u);
    EXPECT_EQ(p.peer().status().last_logged, Zxid{Z(1, 2)});
    Output tick = p.Advance(Config{}.tick_time_ms);
    EXPECT_EQ(StorageKinds(tick),
              fault ? (std::vector<std::string>{"append", "append"}) : std::vector<std::string>{});
    // COMMIT is unchanged.
    p.Receive(3, Commit{Epoch{1}, Zxid{Z(1, 2)}});
    EXPECT_EQ(p.peer().LocalGet("k"), "e1.2");
  }
}

TEST(ZabFaults, AckBeforeFsyncLosesAnAckedProposalInACrashBeforeTheTick) {
  for (bool fault : {false, true}) {
    SCOPED_TRACE(fault);
    std::set<std::string> faults;
    if (fault) faults.insert("ack-before-fsync");
    LonePeer p(1, 3, {}, 1000, faults);
    DurableState disk;
    auto run = [&](const Output& o) {
      for (const StorageOp& op : o.storage) ASSERT_EQ(disk.Execute(op), "");
    };
    p.ElectLeader(3, Zxid{}, Epoch{});
    run(p.Receive(3, LeaderInfo{Epoch{1}}));
    run(p.Receive(3, Diff{Epoch{1}, Zxid{}}));
    run(p.Receive(3, NewLeader{Epoch{1}, Zxid{}}));
    run(p.Receive(3, UpToDate{Epoch{1}}));
    Output out = p.Receive(3, Prop(1, 1, 1));
    run(out);
    ASSERT_EQ(MessagesOf<Ack>(out).size(), 1u);  // the leader may count it now...
    // ...and the process dies before the next tick: the durable log is what survives.
    EXPECT_EQ(disk.last_logged(), fault ? Zxid{} : Zxid{Z(1, 1)});
  }
}

}  // namespace
}  // namespace zab
