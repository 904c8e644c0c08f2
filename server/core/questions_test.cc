// zab.md section 9, the readers' questions, as executable scenarios.
#include <gtest/gtest.h>

#include "server/core/testing/cluster.h"
#include "server/core/testing/lone_peer.h"

namespace zab {
namespace {

using testing::Cluster;
using testing::EventsOf;
using testing::HasEvent;
using testing::HasStorage;
using testing::LonePeer;
using testing::MessagesOf;
using testing::SetOp;

bool AllUpServing(Cluster& c) {
  auto l = c.Leader();
  if (!l) return false;
  for (uint64_t i = 1; i <= c.size(); ++i) {
    if (!c.up(i)) continue;
    Status s = c.peer(i).status();
    if (s.phase != Phase::kBroadcast || s.leader != PeerId{*l}) return false;
  }
  return true;
}

bool Holds(const Cluster& c, uint64_t id, const std::string& value) {
  for (const Txn& t : c.durable(id).log) {
    if (t.op.value == value) return true;
  }
  return false;
}

// A leader logs "X" while its outbound links are cut: only the leader holds it.
uint64_t LeaderLogsMinorityOnlyWrite(Cluster& c) {
  EXPECT_TRUE(c.RunUntil([&] { return AllUpServing(c) && c.Leader(); }, 5000));
  uint64_t l = *c.Leader();
  uint64_t rid = c.Write(l, SetOp("a", "before"));
  EXPECT_TRUE(c.RunUntil([&] { return c.ReplyFor(l, rid).has_value(); }, 1000));
  for (uint64_t i = 1; i <= c.size(); ++i) {
    if (i != l) c.Block(l, i);
  }
  c.Write(l, SetOp("x", "X"));
  c.RunFor(50);
  EXPECT_TRUE(Holds(c, l, "X"));
  for (uint64_t i = 1; i <= c.size(); ++i) {
    if (i != l) {
      EXPECT_FALSE(Holds(c, i, "X"));
    }
  }
  return l;
}

TEST(ZabQuestions, AMinorityOnlyProposalIsKeptWhenAHolderIsInTheElectingQuorum) {
  Cluster c(3);
  uint64_t l = LeaderLogsMinorityOnlyWrite(c);
  // Everyone restarts: the holder takes part, wins FLE (highest zxid) and commits X (9a, 9c).
  for (uint64_t i = 1; i <= 3; ++i) c.Crash(i);
  c.HealAll();
  for (uint64_t i = 1; i <= 3; ++i) c.Restart(i);
  ASSERT_TRUE(c.RunUntil([&] { return AllUpServing(c); }, 5000));
  EXPECT_EQ(*c.Leader(), l);
  c.RunFor(200);
  for (uint64_t i = 1; i <= 3; ++i) EXPECT_EQ(c.peer(i).LocalGet("x"), "X") << i;
}

TEST(ZabQuestions, AMinorityOnlyProposalIsDiscardedWhenNoHolderIsInTheElectingQuorum) {
  Cluster c(3);
  uint64_t l = LeaderLogsMinorityOnlyWrite(c);
  c.Crash(l);
  c.HealAll();
  ASSERT_TRUE(c.RunUntil([&] { return AllUpServing(c); }, 5000));
  uint64_t l2 = *c.Leader();
  uint64_t rid = c.Write(l2, SetOp("y", "Y"));
  ASSERT_TRUE(c.RunUntil([&] { return c.ReplyFor(l2, rid).has_value(); }, 1000));
  c.Restart(l);
  ASSERT_TRUE(c.RunUntil(
      [&] { return AllUpServing(c) && c.peer(l).status().phase == Phase::kBroadcast; }, 5000));
  c.RunFor(200);
  for (uint64_t i = 1; i <= 3; ++i) {
    EXPECT_FALSE(c.peer(i).LocalGet("x").has_value()) << i;
    EXPECT_EQ(c.peer(i).LocalGet("y"), "Y") << i;
  }
  EXPECT_FALSE(Holds(c, l, "X")) << "TRUNC/SNAP removed the stale entry from the old leader's log";
}

TEST(ZabQuestions, AMajorityLoggedButUncommittedProposalIsCommittedByTheNextLeader) {
  Cluster c(3);
  ASSERT_TRUE(c.RunUntil([&] { return AllUpServing(c); }, 5000));
  uint64_t l = *c.Leader();
  uint64_t f1 = l == 1 ? 2 : 1;
  uint64_t f2 = 6 - l - f1;
  c.Block(f1, l);  // f1's ACK never reaches the leader
  c.Block(l, f2);  // f2 never sees the proposal
  uint64_t rid = c.Write(l, SetOp("x", "X"));
  c.RunFor(50);
  ASSERT_TRUE(Holds(c, f1, "X"));
  ASSERT_FALSE(c.ReplyFor(l, rid).has_value()) << "not committed: no quorum of ACKs";
  c.Crash(l);
  c.HealAll();
  ASSERT_TRUE(c.RunUntil([&] { return AllUpServing(c); }, 5000));
  EXPECT_EQ(*c.Leader(), f1) << "the holder has the highest zxid";
  c.RunFor(200);
  EXPECT_EQ(c.peer(f1).LocalGet("x"), "X");
  EXPECT_EQ(c.peer(f2).LocalGet("x"), "X");
  c.Restart(l);
  ASSERT_TRUE(c.RunUntil([&] { return c.peer(l).status().phase == Phase::kBroadcast; }, 5000));
  c.RunFor(200);
  EXPECT_EQ(c.peer(l).LocalGet("x"), "X");
}

TEST(ZabQuestions, ASameEpochGapInBroadcastIsRefusedAndTheFollowerResyncs) {
  Cluster c(3);
  ASSERT_TRUE(c.RunUntil([&] { return AllUpServing(c); }, 5000));
  uint64_t l = *c.Leader();
  uint64_t f = l == 1 ? 2 : 1;
  Status s = c.peer(f).status();
  Epoch e = c.peer(l).status().current_epoch;
  Txn hole{Zxid{s.last_logged.value + 2}, Origin{}, SetOp("g", "gap")};
  if (s.last_logged.epoch() != e) hole.zxid = Zxid::Make(e, 2);
  Output out = c.Step(f, Receive{PeerId{l}, Proposal{e, hole, Zxid{hole.zxid.value - 1}}});
  EXPECT_FALSE(HasStorage<AppendTxn>(out)) << "7.3 rule 3: never log across a hole";
  EXPECT_TRUE(MessagesOf<Ack>(out).empty());
  EXPECT_EQ(c.peer(f).status().role, Role::kLooking);
  EXPECT_TRUE(HasEvent(out, "step_down"));
  ASSERT_TRUE(c.RunUntil([&] { return AllUpServing(c); }, 5000)) << "it resyncs";
}

TEST(ZabQuestions, AStaleEpochLeaderInfoSendsTheFollowerBackToLooking) {
  // 9d.1: this node accepted epoch 5 from a prospective leader that then failed.
  Recovered r;
  r.accepted_epoch = Epoch{5};
  r.current_epoch = Epoch{1};
  LonePeer p(1, 3, r);
  p.ElectLeader(3, Zxid{0x100000009}, Epoch{1});
  ASSERT_EQ(p.peer().status().role, Role::kFollowing);
  Output out = p.Receive(3, LeaderInfo{Epoch{4}});
  EXPECT_EQ(p.peer().status().role, Role::kLooking);
  EXPECT_TRUE(MessagesOf<AckEpoch>(out).empty());
  EXPECT_FALSE(HasStorage<WriteAcceptedEpoch>(out));
  EXPECT_EQ(p.peer().status().accepted_epoch, Epoch{5});
}

TEST(ZabQuestions, AFollowerAheadOfTheLeaderIsDroppedFromDiscovery) {
  // 9d.5: node 1 has a more recent (currentEpoch, zxid) summary than the elected leader; it is
  // dropped rather than allowed to sync.
  LonePeer p(3, 3);
  p.Receive(2, Vote{Epoch{}, PeerState::kLooking, PeerId{3}, Zxid{}, 1, Epoch{}});
  p.Advance(60);
  ASSERT_EQ(p.peer().status().role, Role::kLeading);
  p.Receive(2, FollowerInfo{Epoch{0}});
  p.Receive(1, FollowerInfo{Epoch{0}});
  Output out = p.Receive(1, AckEpoch{Epoch{1}, 3, Zxid{0x300000001}, Zxid{}});
  EXPECT_TRUE(out.messages.empty());
  EXPECT_EQ(p.peer().status().role, Role::kLeading) << "the leader keeps leading";
  out = p.Receive(2, AckEpoch{Epoch{1}, 0, Zxid{}, Zxid{}});
  EXPECT_TRUE(HasStorage<WriteCurrentEpoch>(out)) << "2 + leader are the quorum";
  for (const Envelope& m : out.messages) EXPECT_NE(m.to, PeerId{1});
}

}  // namespace
}  // namespace zab
