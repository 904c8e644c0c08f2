#include "harness/scenario/wait.h"

#include <gtest/gtest.h>

namespace faultline::harness::scenario {
namespace {

// Time moves only when the waiter sleeps.
class FakeClock : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() override { return now_; }
  void Sleep(std::chrono::milliseconds d) override {
    now_ += d;
    ++sleeps;
  }
  int sleeps = 0;

 private:
  std::chrono::steady_clock::time_point now_{};
};

NodeStatus Node(NodeId id, Role role, std::string phase, int64_t epoch, int64_t committed) {
  NodeStatus n;
  n.id = id;
  n.running = true;
  RoleInfo r;
  r.role = role;
  r.phase = std::move(phase);
  r.epoch = epoch;
  r.last_zxid = committed;
  r.last_committed = committed;
  n.role = r;
  return n;
}

checkers::NodeEvent Logged(int64_t first, int64_t last, int64_t ts = 0) {
  checkers::NodeEvent e;
  e.type = "logged";
  e.ts_ms = ts;
  e.fields = {{"type", "logged"}, {"first", first}, {"last", last}, {"count", last - first + 1}};
  return e;
}

TEST(WaitUntil, ReturnsAsSoonAsTheConditionHolds) {
  FakeClock clock;
  int calls = 0;
  Probe last;
  Status s = WaitUntil(
      [&] {
        return Probe{++calls == 3, "call " + std::to_string(calls)};
      },
      std::chrono::milliseconds(1000), std::chrono::milliseconds(10), clock,
      "step 4 (wait): until agree", &last);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(last.seen, "call 3");
}

TEST(WaitUntil, TimesOutWithTheStepAndTheLastThingSeen) {
  FakeClock clock;
  int calls = 0;
  Status s = WaitUntil(
      [&] {
        ++calls;
        return Probe{false, "n2 logged up to 0x100000002"};
      },
      std::chrono::milliseconds(100), std::chrono::milliseconds(30), clock,
      "step 5 (line 12): wait until n2 logged w1");
  EXPECT_EQ(s.code(), StatusCode::kTimeout);
  EXPECT_EQ(s.message(),
            "step 5 (line 12): wait until n2 logged w1: not reached within 100 ms; last seen: n2 "
            "logged up to 0x100000002");
  // Polls at 0, 30, 60, 90 and once more at the deadline; never sleeps past it.
  EXPECT_EQ(calls, 5);
}

TEST(EvalAgree, HoldsWhenEveryRunningNodeBroadcastsTheSameCommit) {
  std::vector<NodeStatus> nodes = {Node(1, Role::kFollowing, "broadcast", 2, 0x200000001),
                                   Node(2, Role::kLeading, "broadcast", 2, 0x200000001),
                                   Node(3, Role::kFollowing, "broadcast", 2, 0x200000001)};
  nodes[2].running = false;  // a dead node does not block agreement
  EXPECT_TRUE(EvalAgree(nodes).met);
}

TEST(EvalAgree, DoesNotHoldWhileOneNodeLagsOrSyncs) {
  std::vector<NodeStatus> nodes = {Node(1, Role::kFollowing, "broadcast", 2, 0x200000001),
                                   Node(2, Role::kLeading, "broadcast", 2, 0x200000002)};
  Probe p = EvalAgree(nodes);
  EXPECT_FALSE(p.met);
  EXPECT_NE(p.seen.find("n1 following broadcast e2"), std::string::npos) << p.seen;
  nodes[0] = Node(1, Role::kFollowing, "synchronization", 2, 0x200000002);
  EXPECT_FALSE(EvalAgree(nodes).met);
}

TEST(EvalAgree, SameCommitDifferentStatesIsADivergenceNotAWaitForMore) {
  std::vector<NodeStatus> nodes = {Node(1, Role::kFollowing, "broadcast", 2, 0x200000001),
                                   Node(2, Role::kLeading, "broadcast", 2, 0x200000001)};
  nodes[0].digest = "aa";
  nodes[1].digest = "aa";
  EXPECT_TRUE(EvalAgree(nodes).met);
  EXPECT_FALSE(EvalAgree(nodes).diverged);
  nodes[0].digest = "bb";
  Probe p = EvalAgree(nodes);
  EXPECT_FALSE(p.met);
  EXPECT_TRUE(p.diverged);
  EXPECT_NE(p.seen.find("state digests differ"), std::string::npos) << p.seen;
  // Still syncing: not (yet) a divergence.
  nodes[0] = Node(1, Role::kFollowing, "synchronization", 2, 0x200000001);
  EXPECT_FALSE(EvalAgree(nodes).diverged);
}

// ZooKeeper's srvr: the leader of a new epoch reports 0x<epoch>00000000 until its first txn (so
// may a follower that joined it then), the others the last txn they applied (found running the
// q3 scenario on ZooKeeper: agree never held). ClusterView marks such positions unknown; the other
// nodes must still agree.
TEST(EvalAgree, NodesWhosePositionIsUnknownLeaveItToTheOthers) {
  std::vector<NodeStatus> nodes = {Node(1, Role::kFollowing, "broadcast", 1, 0x100000001),
                                   Node(2, Role::kLeading, "broadcast", 2, 0x200000000),
                                   Node(3, Role::kFollowing, "broadcast", 1, 0x100000001)};
  EXPECT_FALSE(EvalAgree(nodes).met);
  nodes[1].committed_unknown = true;
  EXPECT_TRUE(EvalAgree(nodes).met);
  nodes[2].role->last_zxid = nodes[2].role->last_committed = 0x100000000;
  EXPECT_FALSE(EvalAgree(nodes).met);  // the followers differ
  nodes[2].committed_unknown = true;
  EXPECT_TRUE(EvalAgree(nodes).met);  // only n1's number is known
}

TEST(EvalAgree, DoesNotHoldWithTwoLeadersOrDifferentDigests) {
  std::vector<NodeStatus> nodes = {Node(1, Role::kLeading, "broadcast", 1, 5),
                                   Node(2, Role::kLeading, "broadcast", 2, 5)};
  EXPECT_FALSE(EvalAgree(nodes).met);
  nodes[0].role->role = Role::kFollowing;
  nodes[0].digest = "aa";
  nodes[1].digest = "bb";
  Probe p = EvalAgree(nodes);
  EXPECT_FALSE(p.met);
  EXPECT_NE(p.seen.find("digests differ"), std::string::npos);
  nodes[1].digest = "aa";
  EXPECT_TRUE(EvalAgree(nodes).met);
}

TEST(EvalLeaderEpochAbove, IgnoresAnOldLeaderThatHasNotSteppedDown) {
  std::vector<NodeStatus> nodes = {Node(1, Role::kLeading, "broadcast", 1, 5),
                                   Node(2, Role::kLeading, "synchronization", 2, 5)};
  EXPECT_FALSE(EvalLeaderEpochAbove(nodes, 1).met);
  nodes[1].role->phase = "broadcast";
  Probe p = EvalLeaderEpochAbove(nodes, 1);
  EXPECT_TRUE(p.met);
  EXPECT_EQ(p.seen, "n2 leading epoch 2");
}

TEST(EvalRole, MatchesRoleAndOptionalPhase) {
  NodeStatus n = Node(1, Role::kLeading, "discovery", 3, 0);
  EXPECT_TRUE(EvalRole(n, "leading", "").met);
  EXPECT_FALSE(EvalRole(n, "leading", "broadcast").met);
  n.running = false;
  EXPECT_FALSE(EvalRole(n, "leading", "").met);
}

TEST(EvalLogged, FindsTheZxidInsideALoggedRange) {
  std::vector<checkers::NodeEvent> events = {Logged(0x100000001, 0x100000002),
                                             Logged(0x100000003, 0x100000005)};
  EXPECT_TRUE(EvalLogged(2, events, 0x100000004, "w1").met);
  Probe p = EvalLogged(2, events, 0x100000006, "w1");
  EXPECT_FALSE(p.met);
  EXPECT_EQ(p.seen, "n2 logged up to 0x100000005");
  p = EvalLogged(2, events, std::nullopt, "w1");
  EXPECT_FALSE(p.met);
  EXPECT_NE(p.seen.find("the zxid of w1 is not known yet"), std::string::npos);
}

TEST(EvalEvent, OnlyCountsEventsSinceTheStepBegan) {
  checkers::NodeEvent old_event;
  old_event.type = "newleader";
  old_event.ts_ms = 100;
  std::vector<checkers::NodeEvent> events = {old_event};
  EXPECT_FALSE(EvalEvent(3, events, "newleader", 200).met);
  events.push_back(old_event);
  events.back().ts_ms = 250;
  EXPECT_TRUE(EvalEvent(3, events, "newleader", 200).met);
}

}  // namespace
}  // namespace faultline::harness::scenario
