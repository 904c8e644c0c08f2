// Fault points that re-create historical ZooKeeper bugs (fault_points.h, zab.md 8). Every test
// shows the exact deviation the fault makes, its consequence, and that the default path is the
// correct protocol (zab.md 5.1, 5.2, 7.3 rules 1, 2 and 5). The classic mistakes are in
// faults_mistakes_test.cc.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "server/core/testing/cluster.h"
#include "server/core/testing/fault_test_util.h"
#include "server/core/testing/lone_peer.h"
#include "server/kv/store.h"

namespace zab {
namespace {

using testing::AcksNewLeader;
using testing::Cluster;
using testing::DurableState;
using testing::EventsOf;
using testing::Field;
using testing::LonePeer;
using testing::MakeDisk;
using testing::MakeTxn;
using testing::Prop;
using testing::StorageKinds;
using testing::StrField;
using testing::SyncTwoCommittedTxns;
using testing::Z;

// ---- zk-4643: currentEpoch persisted before the history it certifies ----------------------
TEST(ZabFaults, Zk4643WritesCurrentEpochBeforeTheSyncedTxns) {
  LonePeer ok(1, 3);
  Output out = SyncTwoCommittedTxns(ok);
  EXPECT_EQ(StorageKinds(out), (std::vector<std::string>{"append", "append", "epoch"}));
  EXPECT_TRUE(AcksNewLeader(out));

  // Fault: the epoch now, the history (and the ACK that certifies it) one tick later.
  LonePeer bad(1, 3, {}, 1000, {"zk-4643"});
  Output faulty = SyncTwoCommittedTxns(bad);
  EXPECT_EQ(StorageKinds(faulty), (std::vector<std::string>{"epoch"}));
  EXPECT_FALSE(AcksNewLeader(faulty));
  EXPECT_TRUE(StorageKinds(bad.Advance(10)).empty());  // not before a tick has passed
  Output later = bad.Advance(Config{}.tick_time_ms);
  EXPECT_EQ(StorageKinds(later), (std::vector<std::string>{"append", "append"}));
  EXPECT_TRUE(AcksNewLeader(later));
  // Everything else is unchanged: the same ops and messages in all, the same applied state.
  EXPECT_EQ(faulty.messages.size() + later.messages.size(), out.messages.size());
  EXPECT_EQ(bad.peer().LocalGet("k"), ok.peer().LocalGet("k"));
  EXPECT_EQ(bad.peer().status().last_logged, ok.peer().status().last_logged);

  // The consequence: a process killed after the first storage op (before the next write
  // reaches the disk). Correct order: no new epoch is on disk. Fault: epoch 1 on disk with a log
  // shorter than the history it certifies (the node later wins FLE on epoch, 7.3 rule 1).
  DurableState d_ok, d_bad;
  ASSERT_EQ(d_ok.Execute(out.storage[0]), "");
  ASSERT_EQ(d_bad.Execute(faulty.storage[0]), "");
  EXPECT_EQ(d_ok.current_epoch, Epoch{});
  EXPECT_EQ(d_bad.current_epoch, Epoch{1});
  EXPECT_EQ(d_bad.last_logged(), Zxid{});
}

TEST(ZabFaults, Zk4643TornNewLeaderWriteLosesACommittedTxnAfterTheNextElection) {
  // The ZOOKEEPER-4643 trace (zab.md 8): epoch 1 leader n3 committed 1|2 with n2's ACK and died;
  // n2 leads epoch 2 and DIFFs 1|2 to n1; n1 is killed after the FIRST storage write of its
  // NEWLEADER batch; n2 dies; n1 and n3 restart. Correct order: n1's first write is 1|2, the
  // epoch is not on disk, 1|2 survives. Fault: n1 has epoch 2 and no 1|2, wins FLE on epoch and
  // TRUNCs n3: the committed 1|2 is gone.
  for (bool fault : {false, true}) {
    SCOPED_TRACE(fault);
    std::set<std::string> faults;
    if (fault) faults.insert("zk-4643");
    DurableState n1 = MakeDisk(1, 1, {{1, 1}});
    LonePeer f0(1, 3, n1.ToRecovered(), 1000, faults);
    f0.ElectLeader(2, Zxid{Z(1, 2)}, Epoch{1});
    f0.Receive(2, LeaderInfo{Epoch{2}});
    f0.Receive(2, Diff{Epoch{2}, Zxid{Z(1, 2)}});
    f0.Receive(2, Prop(2, 1, 2));
    f0.Receive(2, Commit{Epoch{2}, Zxid{Z(1, 2)}});
    Output nl = f0.Receive(2, NewLeader{Epoch{2}, Zxid{Z(1, 2)}});
    ASSERT_EQ(nl.storage.size(), fault ? 1u : 2u);
    n1.accepted_epoch = Epoch{2};              // ACKEPOCH's WriteAcceptedEpoch was durable
    ASSERT_EQ(n1.Execute(nl.storage[0]), "");  // killed before the second write

    Config base;
    base.faults = faults;
    Cluster c({n1, MakeDisk(1, 1, {{1, 1}, {1, 2}}), MakeDisk(1, 1, {{1, 1}, {1, 2}})}, base);
    c.Crash(2);
    ASSERT_TRUE(c.RunUntil([&] { return c.Leader().has_value(); }, 5000));
    c.RunFor(300);
    EXPECT_EQ(*c.Leader(), fault ? 1u : 3u);
    EXPECT_EQ(c.peer(3).LocalGet("k"), fault ? "e1.1" : "e1.2");
    EXPECT_EQ(c.durable(3).last_logged(), Zxid{fault ? Z(1, 1) : Z(1, 2)});
  }
}

// ---- zk-3911 / zk-4646: NEWLEADER ACKed before the synced txns are durable -----------------
TEST(ZabFaults, Zk3911AcksNewLeaderBeforeTheSyncedTxnsAreLogged) {
  for (const char* name : {"zk-3911", "zk-4646"}) {
    SCOPED_TRACE(name);
    LonePeer bad(1, 3, {}, 1000, {name});
    Output nl = SyncTwoCommittedTxns(bad);
    EXPECT_EQ(StorageKinds(nl), (std::vector<std::string>{"epoch"}));
    EXPECT_TRUE(AcksNewLeader(nl));
    EXPECT_EQ(bad.peer().LocalGet("k"), "e1.2");  // applied in memory
    EXPECT_EQ(bad.peer().status().last_logged, Zxid{});
    // The durable state the ACK certifies: epoch 1, an empty log. A crash now loses 1|1, 1|2.
    DurableState d;
    for (const StorageOp& op : nl.storage) ASSERT_EQ(d.Execute(op), "");
    EXPECT_EQ(d.current_epoch, Epoch{1});
    EXPECT_TRUE(d.log.empty());
    // They reach the log only at UPTODATE.
    Output up = bad.Receive(3, UpToDate{Epoch{1}});
    EXPECT_EQ(StorageKinds(up), (std::vector<std::string>{"append", "append"}));
    EXPECT_EQ(bad.peer().status().last_logged, Zxid{Z(1, 2)});
    EXPECT_EQ(bad.peer().status().phase, Phase::kBroadcast);
  }
  // Default: logged in the NEWLEADER Output, before the ACK (storage precedes messages).
  LonePeer ok(1, 3);
  Output nl = SyncTwoCommittedTxns(ok);
  EXPECT_EQ(StorageKinds(nl), (std::vector<std::string>{"append", "append", "epoch"}));
  EXPECT_TRUE(StorageKinds(ok.Receive(3, UpToDate{Epoch{1}})).empty());
}

TEST(ZabFaults, Zk3911InterruptedSyncRollsTheUnloggedTxnsBack) {
  // The fault's unlogged txns are discarded with the sync (as a restart would): the applied
  // state never runs ahead of the log once the node is LOOKING again.
  LonePeer bad(1, 3, {}, 1000, {"zk-3911"});
  SyncTwoCommittedTxns(bad);
  bad.Step(PeerDisconnected{PeerId{3}});
  EXPECT_EQ(bad.peer().status().role, Role::kLooking);
  EXPECT_EQ(bad.peer().status().last_applied, Zxid{});
  EXPECT_FALSE(bad.peer().LocalGet("k").has_value());
}

// ---- zk-2845 / zk-4712: the advertised zxid is the last applied one ------------------------
Recovered TwoLoggedUncommitted() {
  Recovered r;
  r.accepted_epoch = r.current_epoch = Epoch{1};
  r.log = {MakeTxn(1, 1), MakeTxn(1, 2)};  // recovered tail: logged, not applied
  return r;
}

TEST(ZabFaults, Zk2845AdvertisesTheLastAppliedZxidInVoteAndAckEpoch) {
  for (const char* name : {"", "zk-2845", "zk-4712"}) {
    SCOPED_TRACE(name);
    std::set<std::string> faults;
    if (*name) faults.insert(name);
    const Zxid want = faults.empty() ? Zxid{Z(1, 2)} : Zxid{};  // last logged vs last applied
    LonePeer p(1, 3, TwoLoggedUncommitted(), 1000, faults);
    std::vector<Vote> votes = testing::MessagesOf<Vote>(p.last());
    ASSERT_FALSE(votes.empty());
    EXPECT_EQ(votes[0].zxid, want);
    p.ElectLeader(3, Zxid{Z(1, 5)}, Epoch{1});
    ASSERT_EQ(p.peer().status().role, Role::kFollowing);
    auto acks = testing::MessagesOf<AckEpoch>(p.Receive(3, LeaderInfo{Epoch{2}}));
    ASSERT_EQ(acks.size(), 1u);
    EXPECT_EQ(acks[0].last_zxid, want);
    EXPECT_EQ(p.peer().status().last_logged, Zxid{Z(1, 2)});
  }
}

TEST(ZabFaults, Zk2845HidesTheUncommittedTailWhichComesBackWhenThatNodeLeads) {
  // Node 3 logged 1|2 (never committed) and applied 1|1 (its snapshot); nodes 1 and 2 moved on to
  // epoch 2 with a history ending at 1|1, so node 2 leads. Correct: node 3 advertises 1|2 > max
  // and gets TRUNC(1|1). Fault: it advertises 1|1 == L, gets an empty DIFF, and its log keeps 1|2
  // below the new epoch (the 2845 state). When node 3 later leads, its whole log is its initial
  // history: 1|2, which no leader ever committed, is committed and shipped to node 1.
  for (bool fault : {false, true}) {
    SCOPED_TRACE(fault);
    Config base;
    if (fault) base.faults = {"zk-2845"};
    DurableState n3 = MakeDisk(1, 1, {{1, 1}, {1, 2}});
    kv::Store s;
    s.Apply(MakeTxn(1, 1).op, Z(1, 1));
    n3.snapshots.emplace_back(Zxid{Z(1, 1)}, s.Serialize());
    Cluster c({MakeDisk(2, 2, {{1, 1}}), MakeDisk(2, 2, {{1, 1}}), n3}, base);
    ASSERT_TRUE(c.RunUntil([&] { return !EventsOf(c, 2, "established").empty(); }, 5000));
    c.RunFor(200);
    std::string modes;
    for (const Event& e : EventsOf(c, 2, "sync_decision")) {
      if (Field(e, "peer") == 3) modes += StrField(e, "mode") + " ";
    }
    EXPECT_EQ(modes, fault ? "DIFF " : "TRUNC ");
    EXPECT_TRUE(EventsOf(c, 3, "step_down").empty());  // the sync itself raises no alarm
    bool tail_kept = false;
    for (const Txn& t : c.durable(3).log) tail_kept |= t.zxid.value == Z(1, 2);
    EXPECT_EQ(tail_kept, fault);
    EXPECT_EQ(c.peer(3).LocalGet("k"), "e1.1");  // in memory the tail is not there

    c.Crash(2);
    ASSERT_TRUE(c.RunUntil([&] { return c.Leader() == 3u; }, 5000));
    c.RunFor(300);
    EXPECT_EQ(c.peer(1).LocalGet("k"), fault ? "e1.2" : "e1.1");
  }
}

// ---- snapshot-uncommitted-tail (zk-1549): a snapshot holds the uncommitted tail -------------
// Node 3 logged 1|2 alone (uncommitted) and has a snapshot at 1|1; nodes 1 and 2 hold 1|1.
std::vector<DurableState> DisksWithAnUncommittedTailOnNode3() {
  DurableState n3 = MakeDisk(1, 1, {{1, 1}, {1, 2}});
  kv::Store s;
  s.Apply(MakeTxn(1, 1).op, Z(1, 1));
  n3.snapshots.emplace_back(Zxid{Z(1, 1)}, s.Serialize());
  return {MakeDisk(1, 1, {{1, 1}}), MakeDisk(1, 1, {{1, 1}}), n3};
}

TEST(ZabFaults, SnapshotUncommittedTailIsWrittenWhenTheProspectiveLeaderStartsSyncing) {
  std::vector<size_t> messages;
  for (bool fault : {false, true}) {
    SCOPED_TRACE(fault);
    std::set<std::string> faults;
    if (fault) faults.insert("snapshot-uncommitted-tail");
    LonePeer p(3, 3, DisksWithAnUncommittedTailOnNode3()[2].ToRecovered(), 1000, faults);
    p.Receive(1, Vote{Epoch{1}, PeerState::kLooking, PeerId{3}, Zxid{Z(1, 2)}, 1, Epoch{1}});
    p.Advance(100);
    ASSERT_EQ(p.peer().status().role, Role::kLeading);
    p.Receive(1, FollowerInfo{Epoch{1}});
    Output sync = p.Receive(1, AckEpoch{Epoch{2}, 1, Zxid{Z(1, 1)}, Zxid{}});
    // Correct: currentEpoch only. Fault: and a snapshot of state with the tail, named 1|1.
    EXPECT_EQ(StorageKinds(sync), fault ? (std::vector<std::string>{"epoch", "snapshot"})
                                        : (std::vector<std::string>{"epoch"}));
    for (const StorageOp& op : sync.storage) {
      if (const auto* w = std::get_if<WriteSnapshot>(&op)) {
        EXPECT_EQ(w->zxid, Zxid{Z(1, 1)});
        auto state = kv::Store::Deserialize(w->state);
        ASSERT_TRUE(state.ok());
        EXPECT_EQ(state->Get("k")->value, "e1.2");
        // Its `snapshot` event carries the digest of what was written: not the state committed
        // at 1|1, which is how zab-invariants sees the point (zab.md 7.3 rule 5).
        kv::Store at_name;
        at_name.Apply(MakeTxn(1, 1).op, Z(1, 1));
        bool seen = false;
        for (const Event& e : sync.events) {
          if (e.type != "snapshot") continue;
          seen = true;
          EXPECT_EQ(testing::Field(e, "zxid"), Z(1, 1));
          EXPECT_EQ(testing::Field(e, "digest"), state->Digest());
          EXPECT_NE(testing::Field(e, "digest"), at_name.Digest());
        }
        EXPECT_TRUE(seen);
      }
    }
    messages.push_back(sync.messages.size());
  }
  EXPECT_EQ(messages[0], messages[1]);  // the rest is unchanged: the same sync stream
}

TEST(ZabFaults, SnapshotUncommittedTailSurvivesTheTruncAndResurrectsTheTail) {
  // The 1549 schedule: node 3 wins (highest zxid), starts syncing, and is cut off before its
  // stream arrives; nodes 1 and 2 elect node 2. Node 3 (currentEpoch 2 > node 2's summary) is
  // turned away until node 2 dies; node 1 then leads and TRUNCs node 3 to 1|1. Correct: node 3
  // drops 1|2. Fault: the reload from the dirty snapshot brings 1|2 back, on node 3 alone (and
  // again after a restart: the snapshot is not newer than 1|1, so the TRUNC kept it).
  for (bool fault : {false, true}) {
    SCOPED_TRACE(fault);
    Config base;
    if (fault) base.faults = {"snapshot-uncommitted-tail"};
    Cluster c(DisksWithAnUncommittedTailOnNode3(), base);
    c.on_output = [&](uint64_t id, const Input&, const Output& out) {
      if (id == 3 && testing::HasStorage<WriteCurrentEpoch>(out)) {
        c.Block(3, 1);  // drops the sync stream in flight
        c.Block(3, 2);
      }
    };
    ASSERT_TRUE(c.RunUntil([&] { return c.Leader() == 2u; }, 10000));
    c.on_output = nullptr;
    c.HealAll();
    c.Crash(2);
    auto follows = [&] {
      return c.Leader() == 1u && c.peer(3).status().role == Role::kFollowing &&
             c.peer(3).status().leader;
    };
    ASSERT_TRUE(c.RunUntil(follows, 10000));
    c.RunFor(200);
    std::string modes;
    for (const Event& e : EventsOf(c, 1, "sync_decision")) {
      if (Field(e, "peer") == 3) modes = StrField(e, "mode");
    }
    EXPECT_EQ(modes, "TRUNC");
    EXPECT_EQ(c.peer(1).LocalGet("k"), "e1.1");
    EXPECT_EQ(c.peer(3).LocalGet("k"), fault ? "e1.2" : "e1.1");
    EXPECT_EQ(c.peer(3).StateDigest() == c.peer(1).StateDigest(), !fault);
    c.Crash(3);
    c.Restart(3);
    ASSERT_TRUE(c.RunUntil(
        [&] { return c.Leader() && c.peer(3).status().phase == Phase::kBroadcast; }, 10000));
    EXPECT_EQ(c.peer(3).LocalGet("k"), fault ? "e1.2" : "e1.1");
  }
}

// ---- zk-1154: plain DIFF for a peer zxid missing from the leader's committedLog ------------
TEST(ZabFaults, Zk1154SendsAPlainDiffAndThePeerKeepsItsDivergentTxn) {
  // Node 1 holds the uncommitted 1|3; the leader's log goes 1|1, 1|2, 2|1, 2|2 (zab.md 5.1 walk:
  // E = 2|1 > P = 1|3). Correct: SNAP (rule d; same epoch would be TRUNC(prev)+DIFF, rule c).
  for (bool fault : {false, true}) {
    SCOPED_TRACE(fault);
    Config base;
    if (fault) base.faults = {"zk-1154"};
    Cluster c(
        {MakeDisk(1, 1, {{1, 1}, {1, 2}, {1, 3}}), MakeDisk(2, 2, {{1, 1}, {1, 2}, {2, 1}, {2, 2}}),
         MakeDisk(2, 2, {{1, 1}, {1, 2}, {2, 1}, {2, 2}})},
        base);
    ASSERT_TRUE(c.RunUntil([&] { return !EventsOf(c, 3, "established").empty(); }, 5000));
    c.RunFor(200);
    std::string mode;
    for (const Event& e : EventsOf(c, 3, "sync_decision")) {
      if (Field(e, "peer") == 1) mode = StrField(e, "mode");
    }
    EXPECT_EQ(mode, fault ? "DIFF" : "SNAP");
    bool has_divergent = false;
    for (const Txn& t : c.durable(1).log) has_divergent |= t.zxid.value == Z(1, 3);
    EXPECT_EQ(has_divergent, fault);
    // With the fault node 1 also COMMITTED 1|3, which no leader ever committed.
    bool committed_divergent = false;
    for (const Event& e : EventsOf(c, 1, "committed")) {
      committed_divergent |= Field(e, "first") <= Z(1, 3) && Z(1, 3) <= Field(e, "last");
    }
    EXPECT_EQ(committed_divergent, fault);
  }
}

TEST(ZabFaults, Zk1154SameEpochWalkRuleC) {
  // Rule c (hand-made hole, as in sync_test: a lone leader, since real storage refuses the hole):
  // correct is TRUNC(1|2)+DIFF; the fault sends DIFF.
  for (bool fault : {false, true}) {
    SCOPED_TRACE(fault);
    std::set<std::string> faults;
    if (fault) faults.insert("zk-1154");
    LonePeer leader(3, 3, MakeDisk(1, 1, {{1, 1}, {1, 2}, {1, 4}}).ToRecovered(), 1000, faults);
    Event d =
        testing::SyncDecisionForFollower1(leader, Zxid{Z(1, 3)}, Epoch{1}, Zxid{Z(1, 4)}, Epoch{1});
    EXPECT_EQ(StrField(d, "mode"), fault ? "DIFF" : "TRUNC+DIFF");
    EXPECT_EQ(Field(d, "trunc_to"), fault ? 0u : Z(1, 2));
    EXPECT_EQ(Field(d, "first_sent"), Z(1, 4));
  }
}

}  // namespace
}  // namespace zab
