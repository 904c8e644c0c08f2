// Phase 2, synchronization: every row of the leader's decision table (zab.md 5.1) and the
// follower's side (5.2). Each test starts 3 nodes from hand-made disks so that node 3 wins FLE
// and must sync node 1 from a chosen P.
#include <gtest/gtest.h>

#include "server/core/testing/cluster.h"
#include "server/core/testing/fault_test_util.h"
#include "server/core/testing/lone_peer.h"
#include "server/kv/store.h"

namespace zab {
namespace {

using testing::Cluster;
using testing::DurableState;
using testing::EventsOf;
using testing::Field;
using testing::MakeDisk;
using testing::MakeTxn;
using testing::Prop;
using testing::StrField;
using testing::Z;

bool AllInBroadcast(Cluster& c) {
  for (uint64_t i = 1; i <= c.size(); ++i) {
    if (!c.up(i) || c.peer(i).status().phase != Phase::kBroadcast) return false;
  }
  return c.Leader().has_value();
}

// Runs until node 3 is established and returns its decision for node 1.
Event DecisionForNode1(Cluster& c) {
  EXPECT_TRUE(c.RunUntil([&] { return !EventsOf(c, 3, "established").empty(); }, 5000));
  c.RunFor(100);
  for (const Event& e : EventsOf(c, 3, "sync_decision")) {
    if (Field(e, "peer") == 1) return e;
  }
  ADD_FAILURE() << "no sync decision for node 1";
  return Event{};
}

DurableState WithSnapshot(DurableState d, uint64_t zxid, const std::vector<Txn>& applied) {
  kv::Store s;
  for (const Txn& t : applied) s.Apply(t.op, t.zxid.value);
  d.snapshots.emplace_back(Zxid{zxid}, s.Serialize());
  return d;
}

TEST(ZabSync, Row2PeerEqualToLeaderGetsAnEmptyDiff) {
  Cluster c({MakeDisk(1, 1, {{1, 1}, {1, 2}}), MakeDisk(1, 1, {{1, 1}, {1, 2}}),
             MakeDisk(1, 1, {{1, 1}, {1, 2}})});
  Event d = DecisionForNode1(c);
  EXPECT_EQ(StrField(d, "mode"), "DIFF");
  EXPECT_EQ(Field(d, "peer_zxid"), Z(1, 2));
  EXPECT_EQ(Field(d, "first_sent"), 0u);
  ASSERT_TRUE(c.RunUntil([&] { return AllInBroadcast(c); }, 3000));
  EXPECT_EQ(c.peer(1).StateDigest(), c.peer(3).StateDigest());
}

TEST(ZabSync, AFollowersCurrentEpochEventNamesTheNewLeaderHistoryItCertifies) {
  // zab.md 7.3 rule 1: a follower's currentEpoch certifies the NEWLEADER history, and its
  // `current_epoch` event says which (zab-invariants holds the next restart to it). A leader's
  // currentEpoch certifies no synced history: its event has no `history`.
  Cluster c({MakeDisk(1, 1, {{1, 1}}), MakeDisk(1, 1, {{1, 1}, {1, 2}}),
             MakeDisk(1, 1, {{1, 1}, {1, 2}})});
  Event d = DecisionForNode1(c);
  ASSERT_EQ(StrField(d, "mode"), "DIFF");
  ASSERT_TRUE(c.RunUntil([&] { return AllInBroadcast(c); }, 3000));
  auto has = [](const Event& e, const char* name) {
    for (const auto& [k, v] : e.fields) {
      if (k == name) return true;
    }
    return false;
  };
  std::vector<Event> follower = EventsOf(c, 1, "current_epoch");
  ASSERT_FALSE(follower.empty());
  ASSERT_TRUE(has(follower.back(), "history"));
  EXPECT_EQ(Field(follower.back(), "history"), Field(d, "leader_zxid"));
  EXPECT_EQ(Field(follower.back(), "history"), Z(1, 2));
  for (const Event& e : EventsOf(c, 3, "current_epoch")) EXPECT_FALSE(has(e, "history"));
}

TEST(ZabSync, Row3PeerWithATailBeyondTheLeaderIsTruncatedToMax) {
  // Node 1 holds 1|3, an uncommitted proposal of an old leader; node 3 has a newer currentEpoch
  // but a shorter log, so it wins and node 1's tail must go (zab.md 9a).
  Cluster c({MakeDisk(1, 1, {{1, 1}, {1, 2}, {1, 3}}), MakeDisk(2, 2, {{1, 1}, {1, 2}}),
             MakeDisk(2, 2, {{1, 1}, {1, 2}})});
  Event d = DecisionForNode1(c);
  EXPECT_EQ(StrField(d, "mode"), "TRUNC");
  EXPECT_EQ(Field(d, "trunc_to"), Z(1, 2));
  ASSERT_TRUE(c.RunUntil([&] { return AllInBroadcast(c); }, 3000));
  EXPECT_EQ(c.durable(1).last_logged().value, Z(1, 2));
  ASSERT_EQ(EventsOf(c, 1, "truncate").size(), 1u);
  EXPECT_EQ(Field(EventsOf(c, 1, "truncate")[0], "removed_first"), Z(1, 3));
  EXPECT_EQ(c.peer(1).LocalGet("k"), "e1.2");
  EXPECT_EQ(c.peer(1).StateDigest(), c.peer(3).StateDigest());
}

TEST(ZabSync, Row4aPeerFoundInCommittedLogGetsDiffWithTheMissingPairs) {
  Cluster c({MakeDisk(1, 1, {{1, 1}, {1, 2}}), MakeDisk(1, 1, {{1, 1}, {1, 2}, {1, 3}, {1, 4}}),
             MakeDisk(1, 1, {{1, 1}, {1, 2}, {1, 3}, {1, 4}})});
  Event d = DecisionForNode1(c);
  EXPECT_EQ(StrField(d, "mode"), "DIFF");
  EXPECT_EQ(Field(d, "first_sent"), Z(1, 3));
  EXPECT_EQ(Field(d, "last_sent"), Z(1, 4));
  ASSERT_TRUE(c.RunUntil([&] { return AllInBroadcast(c); }, 3000));
  EXPECT_EQ(c.durable(1).last_logged().value, Z(1, 4));
  EXPECT_EQ(c.peer(1).LocalGet("k"), "e1.4");
}

// Rows 4b and 4c take inputs no real disk produces (a peer at an epoch marker; a same-epoch
// hole in the leader's log), and the Cluster's nodes run on real storage, which refuses such
// disks: these rows drive a lone leader (testing::SyncDecisionForFollower1).
TEST(ZabSync, Row4bNewEpochPeerGetsDiffOfEveryLaterEntry) {
  // Node 1 reports the new-epoch marker 2<<32 as its last zxid.
  testing::LonePeer leader(3, 3, MakeDisk(2, 2, {{1, 1}, {1, 2}, {2, 1}, {2, 2}}).ToRecovered());
  Event d =
      testing::SyncDecisionForFollower1(leader, Zxid{Z(2, 0)}, Epoch{1}, Zxid{Z(2, 2)}, Epoch{2});
  EXPECT_EQ(StrField(d, "mode"), "DIFF");
  EXPECT_EQ(Field(d, "peer_zxid"), Z(2, 0));
  EXPECT_EQ(Field(d, "first_sent"), Z(2, 1));
}

TEST(ZabSync, Row4cPeerZxidMissingInsideTheSameEpochGetsTruncThenDiff) {
  // ZOOKEEPER-1154: node 1 holds 1|3, which the leader's log lacks while it has 1|4 (a hand-made
  // hole: only this rule's decision is checked here).
  testing::LonePeer leader(3, 3, MakeDisk(1, 1, {{1, 1}, {1, 2}, {1, 4}}).ToRecovered());
  Event d =
      testing::SyncDecisionForFollower1(leader, Zxid{Z(1, 3)}, Epoch{1}, Zxid{Z(1, 4)}, Epoch{1});
  EXPECT_EQ(StrField(d, "mode"), "TRUNC+DIFF");
  EXPECT_EQ(Field(d, "trunc_to"), Z(1, 2));
  EXPECT_EQ(Field(d, "first_sent"), Z(1, 4));
}

TEST(ZabSync, Row4dNoTruncAcrossAnEpochBoundaryFallsBackToSnap) {
  // Node 1 holds the uncommitted 1|3; the leader's next entry after 1|2 is 2|1.
  Cluster c({MakeDisk(1, 1, {{1, 1}, {1, 2}, {1, 3}}),
             MakeDisk(2, 2, {{1, 1}, {1, 2}, {2, 1}, {2, 2}}),
             MakeDisk(2, 2, {{1, 1}, {1, 2}, {2, 1}, {2, 2}})});
  Event d = DecisionForNode1(c);
  EXPECT_EQ(StrField(d, "mode"), "SNAP");
  ASSERT_TRUE(c.RunUntil([&] { return AllInBroadcast(c); }, 3000));
  EXPECT_EQ(EventsOf(c, 1, "snapshot_installed").size(), 1u);
  EXPECT_EQ(c.peer(1).LocalGet("k"), "e2.2");
  EXPECT_EQ(c.peer(1).StateDigest(), c.peer(3).StateDigest());
  // The stale 1|3 is gone from node 1's disk.
  for (const Txn& t : c.durable(1).log) EXPECT_NE(t.zxid.value, Z(1, 3));
}

TEST(ZabSync, Row6PeerBelowTheCommittedLogWindowGetsSnap) {
  std::vector<Txn> applied;
  for (uint32_t i = 1; i <= 5; ++i) applied.push_back(MakeTxn(1, i));
  auto leader_disk = WithSnapshot(MakeDisk(1, 1, {{1, 6}, {1, 7}, {1, 8}}), Z(1, 5), applied);
  Cluster c({MakeDisk(1, 1, {{1, 1}, {1, 2}}), leader_disk, leader_disk});
  Event d = DecisionForNode1(c);
  EXPECT_EQ(StrField(d, "mode"), "SNAP");
  EXPECT_EQ(Field(d, "min_zxid"), Z(1, 6));
  ASSERT_TRUE(c.RunUntil([&] { return AllInBroadcast(c); }, 3000));
  EXPECT_EQ(c.peer(1).LocalGet("k"), "e1.8");
  EXPECT_EQ(c.peer(1).StateDigest(), c.peer(3).StateDigest());
}

TEST(ZabSync, ATruncBelowThePeersSnapshotIsReplacedBySnap) {
  // Node 1's durable snapshot at 1|3 holds a failed leader's tail (it was SNAP-synced by it);
  // row 3 would TRUNC it to 1|2, below that snapshot, which it cannot do (7.3 rule 5).
  std::vector<Txn> applied{MakeTxn(1, 1), MakeTxn(1, 2), MakeTxn(1, 3)};
  Cluster c({WithSnapshot(MakeDisk(1, 1, {}), Z(1, 3), applied), MakeDisk(2, 2, {{1, 1}, {1, 2}}),
             MakeDisk(2, 2, {{1, 1}, {1, 2}})});
  Event d = DecisionForNode1(c);
  EXPECT_EQ(StrField(d, "mode"), "SNAP");
  ASSERT_TRUE(c.RunUntil([&] { return AllInBroadcast(c); }, 3000));
  EXPECT_EQ(c.peer(1).LocalGet("k"), "e1.2");
  EXPECT_EQ(c.peer(1).StateDigest(), c.peer(3).StateDigest());
}

TEST(ZabSync, RecoveredTailIsNotAppliedUntilSyncProvesItCommitted) {
  // zab.md 1 / 9a: after a restart the log tail is "logged, commit unknown".
  Cluster c({MakeDisk(1, 1, {{1, 1}, {1, 2}}), MakeDisk(1, 1, {{1, 1}}), MakeDisk(1, 1, {{1, 1}})});
  EXPECT_EQ(c.peer(1).status().last_applied.value, 0u);
  EXPECT_EQ(c.peer(1).status().last_logged.value, Z(1, 2));
  EXPECT_FALSE(c.peer(1).LocalGet("k").has_value());
}

TEST(ZabSync, FollowerBuffersProposalsAndLogsOnlyCommittedOnesAtNewLeader) {
  // Live proposals reaching a syncing follower stay buffered (no ACK) until UPTODATE; committed
  // ones are logged at NEWLEADER (zab.md 5.2).
  Cluster c(3);
  ASSERT_TRUE(c.RunUntil([&] { return AllInBroadcast(c); }, 5000));
  uint64_t l = *c.Leader();
  uint64_t f = l == 1 ? 2 : 1;
  c.Crash(f);
  for (int i = 0; i < 3; ++i) c.Write(l, testing::SetOp("a", std::to_string(i)));
  c.RunFor(100);
  c.Restart(f);
  ASSERT_TRUE(c.RunUntil([&] { return AllInBroadcast(c); }, 5000));
  EXPECT_EQ(c.peer(f).LocalGet("a"), "2");
  EXPECT_EQ(c.peer(f).StateDigest(), c.peer(l).StateDigest());
  EXPECT_TRUE(c.violations.empty());
}

TEST(ZabSync, ACommitBetweenNewLeaderAndUpToDateIsAppliedAfterItsTxnIsLogged) {
  // ZOOKEEPER-4394: live COMMITs can reach a follower between NEWLEADER and UPTODATE.
  testing::LonePeer p(1, 3);
  p.ElectLeader(3, Zxid{}, Epoch{});
  p.Receive(3, LeaderInfo{Epoch{1}});
  p.Receive(3, Diff{Epoch{1}, Zxid{}});
  p.Receive(3, Prop(1, 1, 1));  // outstanding at the leader: no COMMIT in the stream
  p.Receive(3, NewLeader{Epoch{1}, Zxid{}});
  Output out = p.Receive(3, Commit{Epoch{1}, Zxid{Z(1, 1)}});
  EXPECT_TRUE(out.storage.empty());
  EXPECT_FALSE(p.peer().LocalGet("k").has_value());
  out = p.Receive(3, UpToDate{Epoch{1}});
  ASSERT_EQ(out.storage.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<AppendTxn>(out.storage[0]));
  EXPECT_EQ(p.peer().LocalGet("k"), "e1.1");
  EXPECT_EQ(p.peer().status().phase, Phase::kBroadcast);
}

TEST(ZabSync, OnlyTheNewLeaderAckCountsTowardActivation) {
  // ZOOKEEPER-4685: any other ACK before activation is ignored, never mistaken for it.
  testing::LonePeer p(3, 3);
  p.Receive(2, Vote{Epoch{}, PeerState::kLooking, PeerId{3}, Zxid{}, 1, Epoch{}});
  p.Advance(60);
  p.Receive(1, FollowerInfo{Epoch{}});
  p.Receive(1, AckEpoch{Epoch{1}, 0, Zxid{}, Zxid{}});
  p.Receive(1, Ack{Epoch{1}, Zxid{Z(1, 1)}});
  EXPECT_EQ(p.peer().status().phase, Phase::kSynchronization);
  Output out = p.Receive(1, Ack{Epoch{1}, Zxid{Z(1, 0)}});
  EXPECT_EQ(p.peer().status().phase, Phase::kBroadcast);
  EXPECT_EQ(testing::MessagesOf<UpToDate>(out).size(), 1u);
}

TEST(ZabSync, ATruncBelowTheAppliedStateRollsTheStoreBack) {
  // The follower applied 1|1..1|2 at a NEWLEADER whose leader never got established; the next
  // leader's history ends at 1|1 (zab.md 5.2 TRUNC: reload from snapshot plus log).
  testing::LonePeer p(1, 3);
  p.ElectLeader(3, Zxid{}, Epoch{});
  p.Receive(3, LeaderInfo{Epoch{1}});
  p.Receive(3, Diff{Epoch{1}, Zxid{Z(1, 2)}});
  p.Receive(3, Prop(1, 1, 1));
  p.Receive(3, Commit{Epoch{1}, Zxid{Z(1, 1)}});
  p.Receive(3, Prop(1, 1, 2));
  p.Receive(3, Commit{Epoch{1}, Zxid{Z(1, 2)}});
  p.Receive(3, NewLeader{Epoch{1}, Zxid{Z(1, 2)}});
  ASSERT_EQ(p.peer().LocalGet("k"), "e1.2");
  p.Step(PeerDisconnected{PeerId{3}});
  ASSERT_EQ(p.peer().status().role, Role::kLooking);
  p.ElectLeader(2, Zxid{Z(1, 3)}, Epoch{1}, 3);
  ASSERT_EQ(p.peer().status().role, Role::kFollowing);
  p.Receive(2, LeaderInfo{Epoch{2}});
  Output out = p.Receive(2, Trunc{Epoch{2}, Zxid{Z(1, 1)}});
  ASSERT_EQ(out.storage.size(), 1u);
  EXPECT_EQ(std::get<TruncateLog>(out.storage[0]).keep_up_to, Zxid{Z(1, 1)});
  EXPECT_EQ(p.peer().LocalGet("k"), "e1.1");
  EXPECT_EQ(p.peer().status().last_logged, Zxid{Z(1, 1)});
  p.Receive(2, NewLeader{Epoch{2}, Zxid{Z(1, 1)}});
  p.Receive(2, UpToDate{Epoch{2}});
  EXPECT_EQ(p.peer().status().phase, Phase::kBroadcast);
  EXPECT_EQ(p.peer().LocalGet("k"), "e1.1");
}

}  // namespace
}  // namespace zab
