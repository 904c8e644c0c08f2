// zab.md 7.3: the MUST rules, each with a test that fails if the core breaks it. Scripted tests
// pin the exact Output of one step; RuleChecker watches every Output of a faulty cluster run.
#include <gtest/gtest.h>

#include "server/core/testing/cluster.h"
#include "server/core/testing/fault_test_util.h"
#include "server/core/testing/lone_peer.h"

namespace zab {
namespace {

using testing::Cluster;
using testing::EventsOf;
using testing::FollowLeader3IntoBroadcast;
using testing::HasEvent;
using testing::HasStorage;
using testing::LeadIntoBroadcast;
using testing::LonePeer;
using testing::MessagesOf;
using testing::Prop;  // PROPOSAL of txn (e, c) in epoch msg_epoch, prev (e, c-1)
using testing::SetOp;

Txn T(uint32_t e, uint32_t c) { return testing::MakeTxn(e, c); }
Zxid Zid(uint32_t e, uint32_t c) { return Zxid::Make(Epoch{e}, c); }

// ---- rule 1: never ACK before durable; currentEpoch only after the history it certifies ----
TEST(ZabRules, Rule1AFollowerAcksAProposalOnlyInTheOutputThatLogsIt) {
  LonePeer p(1, 3);
  FollowLeader3IntoBroadcast(p);
  Output out = p.Receive(3, Prop(1, 1, 1));
  ASSERT_EQ(out.storage.size(), 1u);
  EXPECT_EQ(std::get<AppendTxn>(out.storage[0]).txn, T(1, 1));
  ASSERT_EQ(MessagesOf<Ack>(out).size(), 1u);
  EXPECT_EQ(MessagesOf<Ack>(out)[0].zxid, Zid(1, 1));
}

TEST(ZabRules, Rule1NewLeaderLogsCommittedTxnsThenPersistsCurrentEpochThenAcks) {
  LonePeer p(1, 3);
  p.ElectLeader(3, Zxid{}, Epoch{});
  p.Receive(3, LeaderInfo{Epoch{2}});
  p.Receive(3, Diff{Epoch{2}, Zid(1, 1)});
  p.Receive(3, Prop(2, 1, 1));
  p.Receive(3, Commit{Epoch{2}, Zid(1, 1)});
  Output buffered = p.Receive(3, Prop(2, 1, 2));  // outstanding, not committed
  EXPECT_TRUE(buffered.storage.empty()) << "sync proposals are buffered, not logged";
  Output out = p.Receive(3, NewLeader{Epoch{2}, Zid(1, 1)});
  ASSERT_EQ(out.storage.size(), 2u);
  EXPECT_EQ(std::get<AppendTxn>(out.storage[0]).txn.zxid, Zid(1, 1));
  EXPECT_EQ(std::get<WriteCurrentEpoch>(out.storage[1]).epoch, Epoch{2});
  auto acks = MessagesOf<Ack>(out);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].zxid, Zid(2, 0));
  EXPECT_EQ(p.peer().LocalGet("k"), "e1.1");
  // UPTODATE: the buffered proposal goes through the normal log path, ACKed after logging.
  out = p.Receive(3, UpToDate{Epoch{2}});
  ASSERT_EQ(out.storage.size(), 1u);
  EXPECT_EQ(std::get<AppendTxn>(out.storage[0]).txn.zxid, Zid(1, 2));
  EXPECT_EQ(MessagesOf<Ack>(out).back().zxid, Zid(1, 2));
}

TEST(ZabRules, Rule1NoCurrentEpochNorAckForAHistoryWithALostPacket) {
  // Found by the sim (seed 2440): the last pair's PROPOSAL was lost, the follower ACKed
  // NEWLEADER with a shorter log and its new currentEpoch later won FLE, truncating a committed
  // txn elsewhere.
  LonePeer p(1, 3);
  p.ElectLeader(3, Zxid{}, Epoch{});
  p.Receive(3, LeaderInfo{Epoch{1}});
  p.Receive(3, Diff{Epoch{1}, Zid(1, 2)});
  p.Receive(3, Prop(1, 1, 1));
  p.Receive(3, Commit{Epoch{1}, Zid(1, 1)});
  Output out = p.Receive(3, NewLeader{Epoch{1}, Zid(1, 2)});  // 1|2 never arrived
  EXPECT_FALSE(HasStorage<WriteCurrentEpoch>(out));
  EXPECT_TRUE(MessagesOf<Ack>(out).empty());
  EXPECT_EQ(p.peer().status().role, Role::kLooking);
  EXPECT_EQ(p.peer().status().current_epoch, Epoch{});
}

TEST(ZabRules, Rule1NewLeaderHistoryCommitsAPairWhoseCommitWasLost) {
  LonePeer p(1, 3);
  p.ElectLeader(3, Zxid{}, Epoch{});
  p.Receive(3, LeaderInfo{Epoch{1}});
  p.Receive(3, Diff{Epoch{1}, Zid(1, 1)});
  p.Receive(3, Prop(1, 1, 1));
  Output out = p.Receive(3, NewLeader{Epoch{1}, Zid(1, 1)});  // its COMMIT was lost
  ASSERT_EQ(out.storage.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<AppendTxn>(out.storage[0]));
  EXPECT_TRUE(std::holds_alternative<WriteCurrentEpoch>(out.storage[1]));
  EXPECT_EQ(MessagesOf<Ack>(out).size(), 1u);
}

// ---- rule 2: the advertised zxid is the last durable log entry ----
TEST(ZabRules, Rule2TheVoteAdvertisesTheLastLoggedZxidIncludingTheUncommittedTail) {
  LonePeer p(1, 3);
  FollowLeader3IntoBroadcast(p);
  p.Receive(3, Prop(1, 1, 1));
  p.Receive(3, Commit{Epoch{1}, Zid(1, 1)});
  p.Receive(3, Prop(1, 1, 2));  // logged, never committed
  Output out = p.Step(PeerDisconnected{PeerId{3}});
  auto votes = MessagesOf<Vote>(out);
  ASSERT_FALSE(votes.empty());
  EXPECT_EQ(votes[0].zxid, Zid(1, 2));
  EXPECT_EQ(votes[0].peer_epoch, Epoch{1});
  EXPECT_EQ(p.peer().status().last_applied, Zid(1, 1));
}

// ---- rule 3: gap-free within an epoch (also ZabQuestions.ASameEpochGap...) ----
TEST(ZabRules, Rule3AGapInTheSyncStreamAbortsTheSync) {
  LonePeer p(1, 3);
  p.ElectLeader(3, Zxid{}, Epoch{});
  p.Receive(3, LeaderInfo{Epoch{1}});
  p.Receive(3, Diff{Epoch{1}, Zid(1, 3)});
  p.Receive(3, Prop(1, 1, 1));
  Output out = p.Receive(3, Prop(1, 1, 3));
  EXPECT_EQ(p.peer().status().role, Role::kLooking);
  EXPECT_TRUE(HasEvent(out, "step_down"));
}

// ---- rule 4: persist acceptedEpoch before ACKEPOCH; ack an epoch to at most one leader ----
TEST(ZabRules, Rule4AckEpochFollowsThePersistedAcceptedEpochInTheSameOutput) {
  Recovered r;
  r.accepted_epoch = Epoch{3};
  r.current_epoch = Epoch{3};
  LonePeer p(1, 3, r);
  p.ElectLeader(3, Zxid{}, Epoch{3});
  Output out = p.Receive(3, LeaderInfo{Epoch{4}});
  ASSERT_EQ(out.storage.size(), 1u);
  EXPECT_EQ(std::get<WriteAcceptedEpoch>(out.storage[0]).epoch, Epoch{4});
  auto acks = MessagesOf<AckEpoch>(out);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].current_epoch, 3) << "the reply carries the currentEpoch, not the new one";
}

TEST(ZabRules, Rule4AnEpochAlreadyAcceptedIsAnsweredWithMinusOne) {
  Recovered r;
  r.accepted_epoch = Epoch{4};  // acked to another prospective leader already
  r.current_epoch = Epoch{3};
  LonePeer p(1, 3, r);
  p.ElectLeader(3, Zxid{}, Epoch{3});
  Output out = p.Receive(3, LeaderInfo{Epoch{4}});
  EXPECT_FALSE(HasStorage<WriteAcceptedEpoch>(out));
  auto acks = MessagesOf<AckEpoch>(out);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].current_epoch, -1);
}

TEST(ZabRules, Rule4AMinusOneAckEpochDoesNotCountTowardTheLeadersQuorum) {
  LonePeer p(3, 3);
  p.Receive(2, Vote{Epoch{}, PeerState::kLooking, PeerId{3}, Zxid{}, 1, Epoch{}});
  p.Advance(60);
  p.Receive(1, FollowerInfo{Epoch{}});
  Output out = p.Receive(1, AckEpoch{Epoch{1}, -1, Zxid{}, Zxid{}});
  EXPECT_FALSE(HasStorage<WriteCurrentEpoch>(out));
  out = p.Receive(2, FollowerInfo{Epoch{}});
  out = p.Receive(2, AckEpoch{Epoch{1}, 0, Zxid{}, Zxid{}});
  EXPECT_TRUE(HasStorage<WriteCurrentEpoch>(out));
  EXPECT_EQ(MessagesOf<NewLeader>(out).size(), 2u) << "the -1 follower is still synced";
}

// ---- rule 5: TRUNC removes uncommitted entries (ZabSync.Row3); snapshots of committed state --
TEST(ZabRules, Rule5SnapshotsAreTakenOnlyWhileServing) {
  // A follower that rejoins by DIFF applies the synced pairs at NEWLEADER, before it serves:
  // enough commits for a snapshot, which must wait until UPTODATE. (This test once restarted a
  // follower with an empty log, which gets SNAP and applies nothing during the sync.)
  Config cfg;
  cfg.snapshot_every_commits = 2;
  Cluster c(3, cfg);
  uint64_t snapshots_outside_broadcast = 0, snapshots_by_f = 0;
  uint64_t f = 0;
  c.on_output = [&](uint64_t id, const Input&, const Output& out) {
    if (!HasStorage<WriteSnapshot>(out)) return;
    if (c.peer(id).status().phase != Phase::kBroadcast) snapshots_outside_broadcast++;
    if (id == f) snapshots_by_f++;
  };
  ASSERT_TRUE(c.RunUntil([&] { return c.Leader().has_value(); }, 5000));
  uint64_t l = *c.Leader();
  f = l == 1 ? 2 : 1;
  c.Write(l, SetOp("a", "first"));
  ASSERT_TRUE(c.RunUntil([&] { return c.peer(f).status().last_applied == Zid(1, 1); }, 5000));
  c.Crash(f);
  for (int i = 0; i < 6; ++i) c.Write(l, SetOp("a", std::to_string(i)));
  c.RunFor(100);
  c.Restart(f);
  ASSERT_TRUE(c.RunUntil([&] { return c.peer(f).LocalGet("a") == "5"; }, 5000));
  // Not vacuous: f was synced by DIFF with the six pairs, then snapshotted while serving.
  auto decisions = EventsOf(c, l, "sync_decision");
  ASSERT_FALSE(decisions.empty());
  EXPECT_EQ(testing::StrField(decisions.back(), "mode"), "DIFF");
  EXPECT_EQ(testing::Field(decisions.back(), "first_sent"), Zid(1, 2).value);
  EXPECT_EQ(testing::Field(decisions.back(), "last_sent"), Zid(1, 7).value);
  c.Write(l, SetOp("a", "after"));
  ASSERT_TRUE(c.RunUntil([&] { return snapshots_by_f > 0; }, 5000));
  EXPECT_EQ(snapshots_outside_broadcast, 0u);
}

// ---- rule 6: an interrupted sync discards its in-memory state ----
TEST(ZabRules, Rule6AnInterruptedSyncDiscardsItsBufferedProposals) {
  LonePeer p(1, 3);
  p.ElectLeader(3, Zxid{}, Epoch{});
  p.Receive(3, LeaderInfo{Epoch{1}});
  p.Receive(3, Diff{Epoch{1}, Zid(1, 1)});
  p.Receive(3, Prop(1, 1, 1));
  p.Receive(3, Commit{Epoch{1}, Zid(1, 1)});
  Output out = p.Step(PeerDisconnected{PeerId{3}});  // leader lost before NEWLEADER
  EXPECT_FALSE(HasStorage<AppendTxn>(out));
  ASSERT_FALSE(MessagesOf<Vote>(out).empty());
  EXPECT_EQ(MessagesOf<Vote>(out)[0].zxid, Zxid{}) << "the unlogged txn is not advertised";
  EXPECT_FALSE(p.peer().LocalGet("k").has_value());
}

// ---- rule 7: drop any packet whose epoch is not the connected leader's ----
TEST(ZabRules, Rule7StaleEpochProposalAndCommitAreDropped) {
  LonePeer p(1, 3);
  FollowLeader3IntoBroadcast(p);
  Output out = p.Receive(3, Prop(0, 1, 1));
  EXPECT_TRUE(out.storage.empty());
  EXPECT_TRUE(out.messages.empty());
  out = p.Receive(2, Prop(1, 1, 1));  // right epoch, not our leader
  EXPECT_TRUE(out.storage.empty());
  p.Receive(3, Prop(1, 1, 1));
  out = p.Receive(3, Commit{Epoch{0}, Zid(1, 1)});
  EXPECT_FALSE(p.peer().LocalGet("k").has_value());
  EXPECT_GE(p.peer().counters().fenced, 2u);
  EXPECT_EQ(p.peer().status().role, Role::kFollowing);
}

TEST(ZabRules, Rule7TheLeaderDropsAcksOfAnotherEpoch) {
  LonePeer p(3, 3);
  LeadIntoBroadcast(p);
  ASSERT_EQ(p.peer().status().phase, Phase::kBroadcast);
  Output out = p.Step(ClientWrite{1, SetOp("a", "1")});
  ASSERT_EQ(MessagesOf<Proposal>(out).size(), 2u);
  out = p.Receive(1, Ack{Epoch{0}, Zid(1, 1)});
  EXPECT_TRUE(out.replies.empty()) << "a stale-epoch ACK must not commit";
  out = p.Receive(1, Ack{Epoch{1}, Zid(1, 1)});
  ASSERT_EQ(out.replies.size(), 1u);
  EXPECT_EQ(out.replies[0].zxid, Zid(1, 1));
}

// The two fences against a network that delivers old packets late (testing/cluster.h "Late
// packets": a held packet surfaces right behind the first packet of a newer epoch on its link).
// Each test fails with its fence removed (checked by hand when written).

// Follower fence: a SNAP the leader sent in epoch e, delivered again during the sync of e+1 with
// the same leader, would be taken as that sync's mode packet and durably roll the follower back
// below what it committed (7.3 rule 7; a TRUNC or DIFF would do the same kind of damage).
TEST(ZabRules, Rule7AStaleSnapFromTheLeadersPreviousEpochDoesNotRollAFollowerBack) {
  Config cfg;
  cfg.snapshot_every_commits = 3;
  cfg.committed_log_entries_min = 1;  // the leader's log window is short: a lagging peer gets SNAP
  Cluster c(3, cfg);
  ASSERT_TRUE(c.RunUntil([&] { return c.Leader() == 3u; }, 5000));  // highest sid wins ties
  c.Crash(1);
  for (int i = 0; i < 8; ++i) c.Write(3, SetOp("a", std::to_string(i)));
  ASSERT_TRUE(c.RunUntil([&] { return c.peer(3).status().last_applied == Zid(1, 8); }, 5000));
  // Node 1 rejoins by SNAP; a duplicate of that SNAP is held back in the network.
  c.HoldLate(
      3, 1, [](const Message& m) { return std::holds_alternative<Snap>(m); }, true);
  c.Restart(1);
  auto follows_3 = [&] {
    Status s = c.peer(1).status();
    return s.phase == Phase::kBroadcast && s.leader == PeerId{3} && c.Leader() == 3u;
  };
  ASSERT_TRUE(c.RunUntil(follows_3, 5000));
  ASSERT_FALSE(EventsOf(c, 1, "snapshot_installed").empty()) << "node 1 must have been SNAPped";
  for (int i = 0; i < 4; ++i) c.Write(3, SetOp("b", std::to_string(i)));
  ASSERT_TRUE(c.RunUntil([&] { return c.peer(1).status().last_applied == Zid(1, 12); }, 5000));
  const size_t installs_before = EventsOf(c, 1, "snapshot_installed").size();
  // A new epoch under the same leader: cut every link until everyone gives up, then heal (all
  // hold the same history, so the highest sid wins again).
  for (uint64_t id = 1; id <= 3; ++id) c.Isolate(id);
  ASSERT_TRUE(c.RunUntil(
      [&] {
        for (uint64_t id = 1; id <= 3; ++id) {
          if (c.peer(id).status().role != Role::kLooking) return false;
        }
        return true;
      },
      5000));
  c.HealAll();
  ASSERT_TRUE(c.RunUntil([&] { return follows_3() && c.peer(3).status().current_epoch > Epoch{1}; },
                         10000));
  // The stale SNAP surfaced behind LEADERINFO(2) (fenced), or nothing would have been tested.
  EXPECT_GE(c.late_delivered(), 1u);
  auto installs = EventsOf(c, 1, "snapshot_installed");
  for (size_t i = installs_before; i < installs.size(); ++i) {
    EXPECT_GE(testing::Field(installs[i], "zxid"), Zid(1, 12).value) << "node 1 rolled back";
  }
  EXPECT_EQ(c.durable(1).last_logged(), Zid(1, 12));
  EXPECT_EQ(c.peer(1).LocalGet("b"), "3");
}

// Leader fence: ping rounds start again at 0 when the leader restarts, so a PingAck from
// before its restart would "confirm" rounds it has not run yet; an isolated leader would then
// serve a linearizable read that a newer leader may already contradict (7.3 rule 7, zab.md 9e).
// A stale ACK, by contrast, names a zxid of an older epoch, below every outstanding proposal:
// it cannot commit anything even without the fence.
TEST(ZabRules, Rule7AStalePingAckFromBeforeTheLeadersRestartConfirmsNoRead) {
  Cluster c(3);
  ASSERT_TRUE(c.RunUntil([&] { return c.Leader() == 3u; }, 5000));
  for (int i = 0; i < 12; ++i) {
    uint64_t rid = c.Read(3, "a", ReadMode::kLinearizable);
    ASSERT_TRUE(c.RunUntil([&] { return c.ReplyFor(3, rid).has_value(); }, 2000));
  }
  // A duplicate of node 1's answer to a high round is held back in the network.
  c.HoldLate(
      1, 3,
      [](const Message& m) {
        const auto* a = std::get_if<PingAck>(&m);
        return a != nullptr && a->round >= 5;
      },
      true);
  uint64_t rid = c.Read(3, "a", ReadMode::kLinearizable);
  ASSERT_TRUE(c.RunUntil([&] { return c.ReplyFor(3, rid).has_value(); }, 2000));
  // Restart everyone (same history: the highest sid leads again, with ping rounds from 0).
  for (uint64_t id = 1; id <= 3; ++id) c.Crash(id);
  for (uint64_t id = 1; id <= 3; ++id) c.Restart(id);
  ASSERT_TRUE(c.RunUntil([&] { return c.Leader() == 3u && c.peer(1).status().leader == PeerId{3}; },
                         10000));
  ASSERT_GE(c.late_delivered(), 1u) << "the stale PingAck never surfaced";
  c.Isolate(3);
  rid = c.Read(3, "a", ReadMode::kLinearizable);
  c.RunFor(300);  // well inside sync_limit: node 3 still believes it leads
  ASSERT_EQ(c.peer(3).status().role, Role::kLeading);
  EXPECT_FALSE(c.ReplyFor(3, rid).has_value() && c.ReplyFor(3, rid)->status == ReplyStatus::kOk)
      << "an isolated leader served a linearizable read on a stale PingAck";
}

// ---- rule 8: commit strictly in zxid order ----
TEST(ZabRules, Rule8ACommitOfALaterTxnAppliesTheEarlierPendingTxnsFirst) {
  LonePeer p(1, 3);
  FollowLeader3IntoBroadcast(p);
  p.Receive(3, Prop(1, 1, 1));
  p.Receive(3, Prop(1, 1, 2));
  Output out = p.Receive(3, Commit{Epoch{1}, Zid(1, 2)});
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].type, "committed");
  EXPECT_EQ(testing::Field(out.events[0], "first"), Zid(1, 1).value);
  EXPECT_EQ(testing::Field(out.events[0], "count"), 2u);
  EXPECT_EQ(p.peer().LocalGet("k"), "e1.2");
}

TEST(ZabRules, Rule8TheLeaderCommitsInZxidOrderOnlyWhatAQuorumCovers) {
  // 5 voters: quorum 3 (the leader plus two ACKs; ACKs are cumulative).
  LonePeer p(5, 5);
  for (uint64_t s : {1, 2, 3, 4}) {
    p.Receive(s, Vote{Epoch{}, PeerState::kLooking, PeerId{5}, Zxid{}, 1, Epoch{}});
  }
  p.Advance(60);
  for (uint64_t s : {1, 2, 3, 4}) p.Receive(s, FollowerInfo{Epoch{}});
  for (uint64_t s : {1, 2, 3, 4}) p.Receive(s, AckEpoch{Epoch{1}, 0, Zxid{}, Zxid{}});
  for (uint64_t s : {1, 2, 3, 4}) p.Receive(s, Ack{Epoch{1}, Zid(1, 0)});
  ASSERT_EQ(p.peer().status().phase, Phase::kBroadcast);
  p.Step(ClientWrite{1, SetOp("a", "1")});
  p.Step(ClientWrite{2, SetOp("a", "2")});
  p.Step(ClientWrite{3, SetOp("a", "3")});
  Output out = p.Receive(1, Ack{Epoch{1}, Zid(1, 1)});
  EXPECT_TRUE(MessagesOf<Commit>(out).empty());
  out = p.Receive(2, Ack{Epoch{1}, Zid(1, 3)});  // 1|1 has {5,1,2}; 1|2 and 1|3 only {5,2}
  auto commits = MessagesOf<Commit>(out);
  ASSERT_EQ(commits.size(), 4u);
  for (const Commit& c : commits) EXPECT_EQ(c.zxid, Zid(1, 1));
  out = p.Receive(3, Ack{Epoch{1}, Zid(1, 3)});
  commits = MessagesOf<Commit>(out);
  ASSERT_EQ(commits.size(), 8u);
  EXPECT_EQ(commits.front().zxid, Zid(1, 2));
  EXPECT_EQ(commits.back().zxid, Zid(1, 3));
  ASSERT_EQ(out.replies.size(), 2u);
  EXPECT_EQ(out.replies[0].request_id, 2u);
  EXPECT_EQ(out.replies[1].request_id, 3u);
  EXPECT_EQ(p.peer().LocalGet("a"), "3");
}

// ---- every rule, watched over a faulty run ----
TEST(ZabRules, EveryOutputOfAFaultyRunRespectsTheDurabilityOrderingRules) {
  uint64_t acks_checked = 0, newleader_acks = 0, later_epoch_acks = 0, ackepochs = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    Cluster c(3, Config{}, seed);
    c.net().drop_probability = 0.01;
    c.on_output = [&](uint64_t id, const Input&, const Output& out) {
      const testing::DurableState& d = c.durable(id);
      for (const Envelope& e : out.messages) {
        if (const auto* a = std::get_if<Ack>(&e.message)) {
          if (!a->zxid.is_epoch_marker()) {
            // Rule 1: the acked txn is durable when the ACK leaves.
            bool logged = false;
            for (const Txn& t : d.log) logged |= t.zxid == a->zxid;
            EXPECT_TRUE(logged) << "node " << id << " acked " << ToHex(a->zxid) << " unlogged";
            acks_checked++;
          } else {
            // Rule 1, for every ACK(e<<32) (the NEWLEADER ACK and the post-UPTODATE one), whether
            // or not its Output writes the epoch: currentEpoch = e is durable when it leaves,
            // and so is everything the node applied (the synced history it certifies).
            EXPECT_EQ(d.current_epoch, a->epoch)
                << "node " << id << " acked NEWLEADER of epoch " << a->epoch.value
                << " with durable currentEpoch " << d.current_epoch.value;
            EXPECT_GE(d.last_logged(), c.peer(id).status().last_applied)
                << "node " << id << " acked NEWLEADER with applied txns not durable";
            if (HasStorage<WriteCurrentEpoch>(out)) {
              // ... and the epoch write comes after the synced txns.
              EXPECT_TRUE(std::holds_alternative<WriteCurrentEpoch>(out.storage.back()));
              newleader_acks++;
            } else {
              later_epoch_acks++;
            }
          }
        }
        if (const auto* a = std::get_if<AckEpoch>(&e.message)) {
          EXPECT_EQ(d.accepted_epoch, a->epoch) << "rule 4: acceptedEpoch durable first";
          ackepochs++;
        }
        if (const auto* li = std::get_if<LeaderInfo>(&e.message)) {
          EXPECT_EQ(d.accepted_epoch, li->epoch) << "leader persisted its epoch first";
        }
      }
    };
    for (int step = 0; step < 300; ++step) {
      c.RunFor(10);
      uint64_t id = 1 + c.rng()() % 3;
      if (c.up(id)) c.Write(id, SetOp("k", std::to_string(step)));
      if (step % 97 == 50) c.Crash(id);
      if (step % 97 == 80) {
        for (uint64_t i = 1; i <= 3; ++i) {
          if (!c.up(i)) c.Restart(i);
        }
      }
    }
    EXPECT_TRUE(c.violations.empty()) << c.violations.front();
  }
  EXPECT_GT(acks_checked, 100u);
  EXPECT_GT(newleader_acks, 10u);
  EXPECT_GT(later_epoch_acks, 10u);
  EXPECT_GT(ackepochs, 10u);
}

}  // namespace
}  // namespace zab
