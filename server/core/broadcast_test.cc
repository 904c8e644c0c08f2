// Broadcast phase and the end-to-end happy path (zab.md 6).
#include <gtest/gtest.h>

#include <functional>

#include "server/core/testing/cluster.h"
#include "server/core/testing/lone_peer.h"
#include "server/kv/store.h"

namespace zab {
namespace {

using testing::Cluster;
using testing::EventsOf;
using testing::Field;
using testing::FollowLeader3IntoBroadcast;
using testing::HasEvent;
using testing::LeadIntoBroadcast;
using testing::LonePeer;
using testing::MessagesOf;
using testing::SetOp;
using testing::StrField;

bool AllServing(Cluster& c) {
  auto l = c.Leader();
  if (!l) return false;
  for (uint64_t i = 1; i <= c.size(); ++i) {
    if (!c.up(i)) continue;
    Status s = c.peer(i).status();
    if (s.phase != Phase::kBroadcast || s.leader != PeerId{*l}) return false;
  }
  return true;
}

uint64_t StableLeader(Cluster& c) {
  EXPECT_TRUE(c.RunUntil([&] { return AllServing(c); }, 5000));
  return c.Leader().value_or(1);
}

TEST(ZabBroadcast, ThreeNodesElectOneLeaderAndCommitAWriteEverywhere) {
  Cluster c(3);
  ASSERT_TRUE(c.RunUntil([&] { return c.Leader().has_value(); }, 5000));
  uint64_t l = *c.Leader();
  ASSERT_TRUE(c.RunUntil(
      [&] {
        for (uint64_t i = 1; i <= 3; ++i) {
          if (c.peer(i).status().phase != Phase::kBroadcast) return false;
        }
        return true;
      },
      5000));
  uint64_t rid = c.Write(l, SetOp("x", "1"));
  ASSERT_TRUE(c.RunUntil([&] { return c.ReplyFor(l, rid).has_value(); }, 1000));
  auto r = *c.ReplyFor(l, rid);
  EXPECT_EQ(r.status, ReplyStatus::kOk);
  EXPECT_EQ(r.zxid.counter(), 1u);
  c.RunFor(200);
  for (uint64_t i = 1; i <= 3; ++i) {
    EXPECT_EQ(c.peer(i).LocalGet("x"), "1") << i;
    EXPECT_EQ(c.peer(i).status().last_applied, r.zxid);
  }
  EXPECT_TRUE(c.violations.empty());
}

TEST(ZabBroadcast, AWriteAtAFollowerIsForwardedAndAnsweredByTheFollower) {
  Cluster c(3);
  ASSERT_TRUE(c.RunUntil([&] { return c.Leader().has_value(); }, 5000));
  uint64_t l = *c.Leader();
  uint64_t f = l == 1 ? 2 : 1;
  ASSERT_TRUE(c.RunUntil([&] { return c.peer(f).status().phase == Phase::kBroadcast; }, 5000));
  uint64_t rid = c.Write(f, SetOp("k", "v"));
  ASSERT_TRUE(c.RunUntil([&] { return c.ReplyFor(f, rid).has_value(); }, 1000));
  EXPECT_EQ(c.ReplyFor(f, rid)->status, ReplyStatus::kOk);
  EXPECT_EQ(c.peer(f).LocalGet("k"), "v");
  EXPECT_EQ(c.peer(l).LocalGet("k"), "v");
}

TEST(ZabBroadcast, ASingleNodeEnsembleLeadsAndCommitsAlone) {
  Cluster c(1);
  ASSERT_TRUE(c.RunUntil([&] { return c.Leader().has_value(); }, 2000));
  uint64_t rid = c.Write(1, SetOp("a", "1"));
  ASSERT_TRUE(c.ReplyFor(1, rid).has_value());
  EXPECT_EQ(c.ReplyFor(1, rid)->status, ReplyStatus::kOk);
  rid = c.Read(1, "a", ReadMode::kLinearizable);
  ASSERT_TRUE(c.ReplyFor(1, rid).has_value());
  EXPECT_EQ(c.ReplyFor(1, rid)->value, "1");
}

TEST(ZabBroadcast, ZxidsAreEpochShiftedCountersStartingAtOne) {
  LonePeer p(3, 3);
  LeadIntoBroadcast(p);
  Output out = p.Step(ClientWrite{1, SetOp("a", "1")});
  auto props = MessagesOf<Proposal>(out);
  ASSERT_EQ(props.size(), 2u);
  EXPECT_EQ(props[0].txn.zxid, Zxid::Make(Epoch{1}, 1));
  EXPECT_EQ(props[0].txn.origin.node, PeerId{3});
  out = p.Step(ClientWrite{2, SetOp("a", "2")});
  EXPECT_EQ(MessagesOf<Proposal>(out)[0].txn.zxid, Zxid::Make(Epoch{1}, 2));
}

TEST(ZabBroadcast, AWriteWithoutAnEstablishedLeaderIsCertainlyNotApplied) {
  LonePeer p(1, 3);
  Output out = p.Step(ClientWrite{7, SetOp("a", "1")});
  ASSERT_EQ(out.replies.size(), 1u);
  EXPECT_EQ(out.replies[0].status, ReplyStatus::kNotApplied);
  EXPECT_TRUE(out.storage.empty());
  EXPECT_TRUE(MessagesOf<Request>(out).empty());
}

TEST(ZabBroadcast, AProposedWriteWhoseLeaderLosesItsQuorumIsUnknown) {
  Cluster c(3);
  uint64_t l = StableLeader(c);
  c.Isolate(l);
  uint64_t rid = c.Write(l, SetOp("a", "1"));
  ASSERT_TRUE(c.RunUntil([&] { return c.ReplyFor(l, rid).has_value(); }, 2000));
  EXPECT_EQ(c.ReplyFor(l, rid)->status, ReplyStatus::kUnknown);
  ASSERT_FALSE(EventsOf(c, l, "step_down").empty());
  EXPECT_NE(StrField(EventsOf(c, l, "step_down").back(), "reason").find("quorum"),
            std::string::npos);
}

TEST(ZabBroadcast, AForwardedWriteWhoseLeaderIsLostIsUnknown) {
  Cluster c(3);
  uint64_t l = StableLeader(c);
  uint64_t f = l == 1 ? 2 : 1;
  c.Block(l, f);
  uint64_t rid = c.Write(f, SetOp("a", "1"));
  ASSERT_TRUE(c.RunUntil([&] { return c.ReplyFor(f, rid).has_value(); }, 2000));
  EXPECT_EQ(c.ReplyFor(f, rid)->status, ReplyStatus::kUnknown);
}

TEST(ZabBroadcast, TheMajorityElectsANewLeaderAfterTheOldOneIsIsolated) {
  Cluster c(5);
  uint64_t l = StableLeader(c);
  Epoch e = c.peer(l).status().current_epoch;
  c.Isolate(l);
  ASSERT_TRUE(c.RunUntil(
      [&] {
        auto n = c.Leader();
        return n && *n != l && c.peer(*n).status().current_epoch > e;
      },
      5000));
  uint64_t n = *c.Leader();
  uint64_t rid = c.Write(n, SetOp("a", "after"));
  ASSERT_TRUE(c.RunUntil([&] { return c.ReplyFor(n, rid).has_value(); }, 1000));
  EXPECT_EQ(c.ReplyFor(n, rid)->status, ReplyStatus::kOk);
  EXPECT_EQ(c.ReplyFor(n, rid)->zxid.epoch(), c.peer(n).status().current_epoch);
  c.HealAll();
  ASSERT_TRUE(c.RunUntil([&] { return AllServing(c); }, 5000));
  c.RunFor(100);
  EXPECT_EQ(c.peer(l).LocalGet("a"), "after");
}

TEST(ZabBroadcast, CounterExhaustionForcesANewEpoch) {
  // ZOOKEEPER-1277: the leader never proposes past counter_max; it abdicates instead.
  Config cfg;
  cfg.counter_max = 3;
  Cluster c(3, cfg);
  uint64_t l = StableLeader(c);
  Epoch e = c.peer(l).status().current_epoch;
  for (int i = 0; i < 3; ++i) {
    uint64_t rid = c.Write(l, SetOp("a", std::to_string(i)));
    ASSERT_TRUE(c.RunUntil([&] { return c.ReplyFor(l, rid).has_value(); }, 1000));
    EXPECT_EQ(c.ReplyFor(l, rid)->zxid.counter(), static_cast<uint32_t>(i + 1));
  }
  uint64_t rid = c.Write(l, SetOp("a", "4"));
  EXPECT_EQ(c.ReplyFor(l, rid)->status, ReplyStatus::kNotApplied);
  uint64_t n = StableLeader(c);
  EXPECT_GT(c.peer(n).status().current_epoch, e);
  rid = c.Write(n, SetOp("a", "5"));
  ASSERT_TRUE(c.RunUntil([&] { return c.ReplyFor(n, rid).has_value(); }, 1000));
  EXPECT_EQ(c.ReplyFor(n, rid)->zxid.counter(), 1u);
}

TEST(ZabBroadcast, AFollowerThatMissedACommitCatchesUpFromThePing) {
  LonePeer p(1, 3);
  FollowLeader3IntoBroadcast(p);
  p.Receive(3, Proposal{Epoch{1}, testing::MakeTxn(1, 1), Zxid{}});
  Output out = p.Receive(3, Ping{Epoch{1}, Zxid::Make(Epoch{1}, 1), 0});
  EXPECT_EQ(p.peer().LocalGet("k"), "e1.1");
  EXPECT_EQ(MessagesOf<PingAck>(out).size(), 1u);
}

TEST(ZabBroadcast, APingAnnouncingCommitsBeyondTheLogSendsTheFollowerToResync) {
  LonePeer p(1, 3);
  FollowLeader3IntoBroadcast(p);
  p.Receive(3, Ping{Epoch{1}, Zxid::Make(Epoch{1}, 2), 0});
  EXPECT_EQ(p.peer().status().role, Role::kLooking);
}

TEST(ZabBroadcast, AFollowerGoesLookingWhenTheLeaderIsSilentForSyncLimit) {
  LonePeer p(1, 3);
  FollowLeader3IntoBroadcast(p);
  p.Advance(400);
  EXPECT_EQ(p.peer().status().role, Role::kFollowing);
  Output out = p.Advance(200);  // sync_limit = 5 ticks of 100 ms
  EXPECT_EQ(p.peer().status().role, Role::kLooking);
  EXPECT_TRUE(HasEvent(out, "step_down"));
}

// zab.md 6: "A handler is dropped if its oldest un-ACKed proposal is older than
// syncLimit*tickTime." Learner 1 keeps answering pings but its log stops at 0 (a wedged log
// writer); learner 2 acks. Both are heard from, so only the un-ACKed proposal can drop 1.
TEST(ZabBroadcast, TheLeaderDropsALearnerWhoseOldestUnackedProposalIsOlderThanSyncLimit) {
  LonePeer p(3, 3);
  LeadIntoBroadcast(p);
  Output out = p.Step(ClientWrite{1, SetOp("a", "1")});
  ASSERT_EQ(MessagesOf<Proposal>(out).size(), 2u);
  p.Receive(2, Ack{Epoch{1}, Zxid::Make(Epoch{1}, 1)});
  bool dropped = false, pinged_1_after = false;
  for (int t = 0; t < 12; ++t) {  // 600 ms in steps of 50: sync_limit is 5 ticks of 100 ms
    out = p.Advance(50);
    for (const Envelope& e : out.messages) {
      if (e.to == PeerId{1} && std::holds_alternative<Ping>(e.message) && dropped) {
        pinged_1_after = true;
      }
    }
    dropped |= HasEvent(out, "learner_dropped");
    p.Receive(1, PingAck{Epoch{1}, 0, Zxid{}});
    p.Receive(2, PingAck{Epoch{1}, 0, Zxid::Make(Epoch{1}, 1)});
  }
  EXPECT_TRUE(dropped);
  EXPECT_FALSE(pinged_1_after) << "a dropped learner gets no more pings or proposals";
  EXPECT_EQ(p.peer().status().phase, Phase::kBroadcast) << "the leader keeps its quorum {2, 3}";
  out = p.Step(ClientWrite{2, SetOp("a", "2")});
  ASSERT_EQ(MessagesOf<Proposal>(out).size(), 1u);
  EXPECT_EQ(out.messages[0].to, PeerId{2});
}

TEST(ZabBroadcast, ALearnerWhosePingAckCoversALostAckIsNotDropped) {
  LonePeer p(3, 3);
  LeadIntoBroadcast(p);
  p.Step(ClientWrite{1, SetOp("a", "1")});
  p.Receive(2, Ack{Epoch{1}, Zxid::Make(Epoch{1}, 1)});
  for (int t = 0; t < 12; ++t) {
    EXPECT_FALSE(HasEvent(p.Advance(50), "learner_dropped")) << "at step " << t;
    // Learner 1's ACK was lost; its PingAck says it logged 1|1 (cumulative re-ack).
    p.Receive(1, PingAck{Epoch{1}, 0, Zxid::Make(Epoch{1}, 1)});
    p.Receive(2, PingAck{Epoch{1}, 0, Zxid::Make(Epoch{1}, 1)});
  }
  EXPECT_EQ(MessagesOf<Proposal>(p.Step(ClientWrite{2, SetOp("a", "2")})).size(), 2u);
}

TEST(ZabBroadcast, TheLeaderPingsEveryHalfTickWithItsLastCommittedZxid) {
  LonePeer p(3, 3);
  LeadIntoBroadcast(p);
  Output out = p.Advance(50);
  auto pings = MessagesOf<Ping>(out);
  ASSERT_EQ(pings.size(), 2u);
  EXPECT_EQ(pings[0].epoch, Epoch{1});
  EXPECT_TRUE(MessagesOf<Ping>(p.Advance(10)).empty());
}

TEST(ZabBroadcast, SnapshotsAreWrittenEverySnapshotEveryCommits) {
  Config cfg;
  cfg.snapshot_every_commits = 3;
  Cluster c(3, cfg);
  uint64_t l = StableLeader(c);
  for (int i = 0; i < 7; ++i) c.Write(l, SetOp("a", std::to_string(i)));
  c.RunFor(200);
  for (uint64_t i = 1; i <= 3; ++i) {
    ASSERT_EQ(c.durable(i).snapshots.size(), 2u) << i;
    EXPECT_EQ(c.durable(i).snapshots[1].first.counter(), 6u);
    // Each `snapshot` event names the digest of the state written: the state at its zxid
    // (zab.md 7.3 rule 5; zab-invariants compares it with the committed digests).
    std::vector<Event> events = EventsOf(c, i, "snapshot");
    ASSERT_EQ(events.size(), 2u) << i;
    for (size_t k = 0; k < 2; ++k) {
      EXPECT_EQ(Field(events[k], "zxid"), c.durable(i).snapshots[k].first.value);
      auto state = kv::Store::Deserialize(c.durable(i).snapshots[k].second);
      ASSERT_TRUE(state.ok());
      EXPECT_EQ(Field(events[k], "digest"), state->Digest());
      EXPECT_EQ(state->last_zxid(), c.durable(i).snapshots[k].first.value);
    }
  }
  // A restart recovers from the snapshot plus the log tail.
  c.Crash(l);
  c.Restart(l);
  ASSERT_TRUE(c.RunUntil(
      [&] { return AllServing(c) && c.up(l) && c.peer(l).status().phase == Phase::kBroadcast; },
      5000));
  c.RunFor(100);
  EXPECT_EQ(c.peer(l).LocalGet("a"), "6");
}

// ---- reads -----------------------------------------------------------------------------
// ---- Issue 8: "Receive must carry its own time" --------------------------------------------
// A process that stalled (a long fsync, SIGSTOP) for longer than sync_limit (5 ticks of 100 ms)
// must not step down while the messages that prove its quorum alive wait unread.

// The driver read the leader's queued PING (stamped with the time it read it) before its first
// Tick after the stall: the PING proves the leader alive at that time, not at the last Tick.
TEST(ZabLiveness, AMessageReadAfterAStallCountsAsHeardAtTheTimeItWasRead) {
  LonePeer p(1, 3);
  FollowLeader3IntoBroadcast(p);
  const uint64_t resumed = p.now_ms() + 2000;
  p.ReceiveAt(resumed, 3, Ping{Epoch{1}, Zxid{}, 1});
  Output out = p.TickTo(resumed + 10);
  EXPECT_FALSE(HasEvent(out, "step_down"));
  EXPECT_EQ(p.peer().status().role, Role::kFollowing);
  // The silence after that PING still counts.
  p.TickTo(resumed + 400);
  EXPECT_EQ(p.peer().status().role, Role::kFollowing);
  EXPECT_TRUE(HasEvent(p.TickTo(resumed + 600), "step_down"));
}

TEST(ZabLiveness, ALeaderThatReadsItsLearnersQueuedPingAcksAfterAStallKeepsLeading) {
  LonePeer p(3, 3);
  LeadIntoBroadcast(p);
  const uint64_t resumed = p.now_ms() + 2000;
  p.ReceiveAt(resumed, 1, PingAck{Epoch{1}, 0, Zxid{}});
  p.ReceiveAt(resumed, 2, PingAck{Epoch{1}, 0, Zxid{}});
  Output out = p.TickTo(resumed + 10);
  EXPECT_FALSE(HasEvent(out, "step_down"));
  EXPECT_EQ(p.peer().status().phase, Phase::kBroadcast);
}

// Ticks `p` every 10 ms (the driver's rate) for `ms`, feeding each tick's input first.
void TickEvery10Ms(LonePeer& p, uint64_t ms, const std::function<void()>& each = {}) {
  for (uint64_t t = 0; t < ms; t += 10) {
    if (each) each();
    p.Advance(10);
  }
}

// The Tick fires first after the stall (the driver's timer was due long ago), the PINGs are
// read after it. With the stall guard (on by default), the gap counts as one tick.
TEST(ZabLiveness, AStalledFollowerDoesNotStepDownOnItsFirstTickWhileThePingsWaitUnread) {
  LonePeer p(1, 3, {}, 1000, {}, /*stall_guard=*/true);
  FollowLeader3IntoBroadcast(p);
  TickEvery10Ms(p, 100, [&] { p.Receive(3, Ping{Epoch{1}, Zxid{}, 1}); });
  Output out = p.Advance(2000);  // stalled 2 s, four sync_limits
  EXPECT_TRUE(HasEvent(out, "stall"));
  EXPECT_FALSE(HasEvent(out, "step_down"));
  EXPECT_EQ(p.peer().status().role, Role::kFollowing);
  EXPECT_EQ(p.peer().counters().stalls, 1u);
  p.Receive(3, Ping{Epoch{1}, Zxid{}, 2});  // the queued PING, read now
  TickEvery10Ms(p, 300);
  EXPECT_EQ(p.peer().status().role, Role::kFollowing);
  // The guard does not switch the timeout off: a leader silent for sync_limit of running time
  // is given up.
  TickEvery10Ms(p, 300);
  EXPECT_EQ(p.peer().status().role, Role::kLooking);
}

TEST(ZabLiveness, AStalledLeaderKeepsItsQuorumAndItsLearnersOnItsFirstTick) {
  LonePeer p(3, 3, {}, 1000, {}, /*stall_guard=*/true);
  LeadIntoBroadcast(p);
  Output w = p.Step(ClientWrite{1, SetOp("a", "1")});  // proposed just before the stall
  ASSERT_EQ(MessagesOf<Proposal>(w).size(), 2u);
  Output out = p.Advance(2000);
  EXPECT_TRUE(HasEvent(out, "stall"));
  EXPECT_FALSE(HasEvent(out, "step_down"));
  EXPECT_FALSE(HasEvent(out, "learner_dropped"));
  ASSERT_EQ(p.peer().status().phase, Phase::kBroadcast);
  // The ACKs that waited unread commit the write.
  p.Receive(1, Ack{Epoch{1}, Zxid::Make(Epoch{1}, 1)});
  p.Receive(2, Ack{Epoch{1}, Zxid::Make(Epoch{1}, 1)});
  EXPECT_EQ(p.peer().status().last_applied, Zxid::Make(Epoch{1}, 1));
  // Learners that stay silent for sync_limit of running time cost it the quorum.
  TickEvery10Ms(p, 700);
  EXPECT_EQ(p.peer().status().role, Role::kLooking);
}

// With the guard, a driver that does tick often runs every timer at its usual pace.
TEST(ZabLiveness, TheStallGuardLeavesRegularTicksAlone) {
  LonePeer p(1, 3, {}, 1000, {}, /*stall_guard=*/true);
  FollowLeader3IntoBroadcast(p);
  TickEvery10Ms(p, 490);
  EXPECT_EQ(p.peer().status().role, Role::kFollowing);
  TickEvery10Ms(p, 120);
  EXPECT_EQ(p.peer().status().role, Role::kLooking);
  EXPECT_EQ(p.peer().counters().stalls, 0u);
}

TEST(ZabReads, ALinearizableReadIsServedOnlyAfterAQuorumConfirmsLeadership) {
  LonePeer p(3, 3);
  LeadIntoBroadcast(p);
  Output out = p.Step(ClientRead{1, "k", ReadMode::kLinearizable});
  EXPECT_TRUE(out.replies.empty());
  auto pings = MessagesOf<Ping>(out);
  ASSERT_EQ(pings.size(), 2u) << "a confirmation round starts at once";
  uint64_t round = pings[0].round;
  out = p.Receive(1, PingAck{Epoch{1}, round - 1, Zxid{}});
  EXPECT_TRUE(out.replies.empty()) << "an older round does not confirm";
  out = p.Receive(1, PingAck{Epoch{1}, round, Zxid{}});
  ASSERT_EQ(out.replies.size(), 1u);
  EXPECT_EQ(out.replies[0].status, ReplyStatus::kOk);
  EXPECT_FALSE(out.replies[0].value.has_value());
}

TEST(ZabReads, AnIsolatedLeaderNeverServesALinearizableRead) {
  Cluster c(3);
  uint64_t l = StableLeader(c);
  c.Isolate(l);
  uint64_t rid = c.Read(l, "a", ReadMode::kLinearizable);
  ASSERT_TRUE(c.RunUntil([&] { return c.ReplyFor(l, rid).has_value(); }, 2000));
  EXPECT_EQ(c.ReplyFor(l, rid)->status, ReplyStatus::kNotApplied);
}

TEST(ZabReads, EveryReadModeAtAFollowerSeesAWriteCommittedBeforeIt) {
  Cluster c(3);
  uint64_t l = StableLeader(c);
  uint64_t f = l == 1 ? 2 : 1;
  uint64_t w = c.Write(l, SetOp("a", "1"));
  ASSERT_TRUE(c.RunUntil([&] { return c.ReplyFor(l, w).has_value(); }, 1000));
  Zxid wz = c.ReplyFor(l, w)->zxid;
  for (ReadMode m : {ReadMode::kLinearizable, ReadMode::kSync, ReadMode::kLocal}) {
    c.RunFor(50);
    uint64_t rid = c.Read(f, "a", m);
    ASSERT_TRUE(c.RunUntil([&] { return c.ReplyFor(f, rid).has_value(); }, 1000)) << ToString(m);
    auto r = *c.ReplyFor(f, rid);
    EXPECT_EQ(r.status, ReplyStatus::kOk) << ToString(m);
    EXPECT_EQ(r.value, "1") << ToString(m);
    EXPECT_GE(r.zxid, wz) << ToString(m);
  }
}

TEST(ZabReads, ASyncReadAtTheLeaderWaitsForItsOutstandingProposals) {
  LonePeer p(3, 3);
  LeadIntoBroadcast(p);
  p.Step(ClientWrite{1, SetOp("a", "1")});
  Output out = p.Step(ClientRead{2, "a", ReadMode::kSync});
  EXPECT_TRUE(out.replies.empty());
  out = p.Receive(1, Ack{Epoch{1}, Zxid::Make(Epoch{1}, 1)});
  ASSERT_EQ(out.replies.size(), 2u);
  EXPECT_EQ(out.replies[1].request_id, 2u);
  EXPECT_EQ(out.replies[1].value, "1");
}

TEST(ZabReads, ALocalReadIsRefusedUntilTheNodeServes) {
  LonePeer p(1, 3);
  Output out = p.Step(ClientRead{1, "a", ReadMode::kLocal});
  ASSERT_EQ(out.replies.size(), 1u);
  EXPECT_EQ(out.replies[0].status, ReplyStatus::kNotApplied);
  FollowLeader3IntoBroadcast(p);
  out = p.Step(ClientRead{2, "a", ReadMode::kLocal});
  ASSERT_EQ(out.replies.size(), 1u);
  EXPECT_EQ(out.replies[0].status, ReplyStatus::kOk);
}

}  // namespace
}  // namespace zab
