// Named fault points (peer.h KnownFaults, zab.md 8): each re-creates one historical ZooKeeper
// bug. Every test shows the exact deviation the fault makes and that the default path is the
// correct protocol (zab.md 5.1, 5.2, 7.3 rules 1 and 2).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "server/core/testing/cluster.h"
#include "server/core/testing/lone_peer.h"
#include "server/kv/store.h"

namespace zab {
namespace {

using testing::Cluster;
using testing::DurableState;
using testing::EventsOf;
using testing::Field;
using testing::LonePeer;
using testing::MakeDisk;
using testing::MakeTxn;
using testing::StrField;

constexpr uint64_t Z(uint32_t e, uint32_t c) { return (uint64_t{e} << 32) | c; }

const std::set<std::string> kNone;

Proposal Prop(uint32_t msg_epoch, uint32_t e, uint32_t c) {
  return Proposal{Epoch{msg_epoch}, MakeTxn(e, c), c > 1 ? Zxid{Z(e, c - 1)} : Zxid{}};
}

// The names of the storage ops of an Output, in order ("append", "epoch", ...).
std::vector<std::string> StorageKinds(const Output& out) {
  std::vector<std::string> r;
  for (const StorageOp& op : out.storage) {
    if (std::holds_alternative<AppendTxn>(op)) r.push_back("append");
    if (std::holds_alternative<WriteCurrentEpoch>(op)) r.push_back("epoch");
    if (std::holds_alternative<WriteAcceptedEpoch>(op)) r.push_back("accepted");
    if (std::holds_alternative<TruncateLog>(op)) r.push_back("truncate");
    if (std::holds_alternative<WriteSnapshot>(op)) r.push_back("snapshot");
    if (std::holds_alternative<InstallSnapshot>(op)) r.push_back("install");
  }
  return r;
}

// Follower 1 of 3, empty disk, DIFF-synced by leader 3 in epoch 1 with the committed 1|1, 1|2.
// Returns the Output of NEWLEADER.
Output SyncTwoCommittedTxns(LonePeer& p) {
  p.ElectLeader(3, Zxid{}, Epoch{});
  p.Receive(3, LeaderInfo{Epoch{1}});
  p.Receive(3, Diff{Epoch{1}, Zxid{Z(1, 2)}});
  p.Receive(3, Prop(1, 1, 1));
  p.Receive(3, Commit{Epoch{1}, Zxid{Z(1, 1)}});
  p.Receive(3, Prop(1, 1, 2));
  p.Receive(3, Commit{Epoch{1}, Zxid{Z(1, 2)}});
  return p.Receive(3, NewLeader{Epoch{1}, Zxid{Z(1, 2)}});
}

bool AcksNewLeader(const Output& out) {
  for (const Ack& a : testing::MessagesOf<Ack>(out)) {
    if (a.zxid == Zxid::Make(Epoch{1}, 0)) return true;
  }
  return false;
}

TEST(ZabFaults, KnownNamesAndJoin) {
  EXPECT_EQ(JoinFaults(KnownFaults()), "zk-1154,zk-2845,zk-3911,zk-4643,zk-4646,zk-4712");
  EXPECT_EQ(JoinFaults({}), "");
  EXPECT_TRUE(Config{}.faults.empty());  // OFF by default
}

// ---- zk-4643: currentEpoch persisted before the history it certifies ----------------------
TEST(ZabFaults, Zk4643WritesCurrentEpochBeforeTheSyncedTxns) {
  LonePeer ok(1, 3);
  Output out = SyncTwoCommittedTxns(ok);
  EXPECT_EQ(StorageKinds(out), (std::vector<std::string>{"append", "append", "epoch"}));
  EXPECT_TRUE(AcksNewLeader(out));

  LonePeer bad(1, 3, {}, 1000, {"zk-4643"});
  Output faulty = SyncTwoCommittedTxns(bad);
  EXPECT_EQ(StorageKinds(faulty), (std::vector<std::string>{"epoch", "append", "append"}));
  EXPECT_TRUE(AcksNewLeader(faulty));
  // Everything else is unchanged: same ops, same messages, same applied state.
  EXPECT_EQ(faulty.messages.size(), out.messages.size());
  EXPECT_EQ(bad.peer().LocalGet("k"), ok.peer().LocalGet("k"));

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
    ASSERT_EQ(nl.storage.size(), 2u);
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

TEST(ZabFaults, Zk2845HidesTheUncommittedTailSoTheLeaderSendsDiffInsteadOfTrunc) {
  // The leader's history ends at 1|1; follower 1 logged 1|2 (never committed) and applied 1|1.
  // Correct: it advertises 1|2 > max and gets TRUNC(1|1). Fault: it advertises 1|1 == L and gets
  // an empty DIFF, which says everything it logged is committed: it applies 1|2 (the 2845
  // divergence). zabd's own NEWLEADER check (history 1|1, log ends at 1|2) then refuses the
  // epoch and the retry is a TRUNC, so the core masks this fault unless another one lands
  // (the vote path: see zab_sim_test SimCatchesZk2845).
  for (bool fault : {false, true}) {
    SCOPED_TRACE(fault);
    Config base;
    if (fault) base.faults = {"zk-2845"};
    // Node 1's snapshot at 1|1 makes 1|1 its applied state after the restart.
    DurableState n1 = MakeDisk(1, 1, {{1, 1}, {1, 2}});
    kv::Store s;
    s.Apply(MakeTxn(1, 1).op, Z(1, 1));
    n1.snapshots.emplace_back(Zxid{Z(1, 1)}, s.Serialize());
    Cluster c({n1, MakeDisk(2, 2, {{1, 1}}), MakeDisk(2, 2, {{1, 1}})}, base);
    ASSERT_TRUE(c.RunUntil([&] { return !EventsOf(c, 3, "established").empty(); }, 5000));
    c.RunFor(200);
    std::string modes;
    for (const Event& e : EventsOf(c, 3, "sync_decision")) {
      if (Field(e, "peer") == 1) modes += StrField(e, "mode") + " ";
    }
    EXPECT_EQ(modes, fault ? "DIFF TRUNC " : "TRUNC ");
    std::string reasons;
    for (const Event& e : EventsOf(c, 1, "step_down")) reasons += StrField(e, "reason");
    EXPECT_EQ(reasons.find("NEWLEADER history 0x100000001 but our log ends at 0x100000002") !=
                  std::string::npos,
              fault);
    EXPECT_EQ(c.peer(1).LocalGet("k"), "e1.1");
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
  // Rule c (hand-made hole, as in sync_test): correct is TRUNC(1|2)+DIFF; the fault sends DIFF.
  Config base;
  base.faults = {"zk-1154"};
  Cluster c({MakeDisk(1, 1, {{1, 1}, {1, 2}, {1, 3}}), MakeDisk(1, 1, {{1, 1}, {1, 2}, {1, 4}}),
             MakeDisk(1, 1, {{1, 1}, {1, 2}, {1, 4}})},
            base);
  ASSERT_TRUE(c.RunUntil([&] { return !EventsOf(c, 3, "established").empty(); }, 5000));
  c.RunFor(100);
  for (const Event& e : EventsOf(c, 3, "sync_decision")) {
    if (Field(e, "peer") != 1) continue;
    EXPECT_EQ(StrField(e, "mode"), "DIFF");
    EXPECT_EQ(Field(e, "trunc_to"), 0u);
    EXPECT_EQ(Field(e, "first_sent"), Z(1, 4));
  }
}

}  // namespace
}  // namespace zab
