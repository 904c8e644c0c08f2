#include "harness/nemesis/nemesis.h"

#include <gtest/gtest.h>

#include "harness/nemesis/fake_cluster.h"

namespace faultline::harness {
namespace {

FaultSpec Spec(FaultKind kind, TargetKind target, std::vector<NodeId> ids = {}) {
  FaultSpec spec;
  spec.kind = kind;
  spec.target = {target, std::move(ids)};
  return spec;
}

FaultSpec Partition(PartitionShape shape, TargetKind target = TargetKind::kRandomNode) {
  FaultSpec spec = Spec(FaultKind::kPartition, target);
  spec.shape = shape;
  return spec;
}

TEST(NemesisTest, KillLeaderKillsTheNodeThatLeadsAndRecordsItsRole) {
  FakeCluster cluster(3, /*leader=*/2);
  Nemesis nemesis(cluster, nullptr);
  auto fault = nemesis.Start(Spec(FaultKind::kKill, TargetKind::kLeader));
  ASSERT_TRUE(fault.ok()) << fault.status().ToString();
  EXPECT_EQ(fault->nodes, std::vector<NodeId>{2});
  EXPECT_EQ(fault->roles.at(2), Role::kLeading);
  EXPECT_EQ(fault->roles.at(1), Role::kFollowing);
  EXPECT_EQ(cluster.states.at(2), NodeState::kKilled);
  EXPECT_EQ(fault->description, "kill leader: node 2 (leading)");
}

TEST(NemesisTest, StopAfterKillStartsTheKilledNodeAgain) {
  FakeCluster cluster(3, 1);
  Nemesis nemesis(cluster, nullptr);
  auto fault = nemesis.Start(Spec(FaultKind::kKill, TargetKind::kExplicit, {3}));
  ASSERT_TRUE(fault.ok());
  ASSERT_TRUE(nemesis.Stop(*fault).ok());
  EXPECT_EQ(cluster.states.at(3), NodeState::kRunning);
  EXPECT_EQ(cluster.calls, (std::vector<std::string>{"kill 3", "start 3"}));
}

TEST(NemesisTest, PowerLossKillsTheTargetsLikeKillAndStopStartsThemAgain) {
  FakeCluster cluster(3, /*leader=*/2);
  Nemesis nemesis(cluster, nullptr);
  auto fault = nemesis.Start(Spec(FaultKind::kPowerLoss, TargetKind::kExplicit, {1, 3}));
  ASSERT_TRUE(fault.ok()) << fault.status().ToString();
  EXPECT_EQ(fault->nodes, (std::vector<NodeId>{1, 3}));
  EXPECT_EQ(cluster.states.at(1), NodeState::kKilled);
  EXPECT_EQ(cluster.states.at(3), NodeState::kKilled);
  EXPECT_EQ(fault->description.rfind("power-loss nodes 1,3", 0), 0u) << fault->description;
  ASSERT_TRUE(nemesis.Stop(*fault).ok());
  EXPECT_EQ(cluster.calls, (std::vector<std::string>{"kill 1", "kill 3", "start 1", "start 3"}));
}

TEST(NemesisTest, LeaderTargetWithoutALeaderFailsUnavailableAndTouchesNothing) {
  FakeCluster cluster(3, 1);
  cluster.leader.reset();
  Nemesis nemesis(cluster, nullptr, {.seed = 1, .leader_timeout = std::chrono::milliseconds(0)});
  auto fault = nemesis.Start(Spec(FaultKind::kPause, TargetKind::kLeader));
  EXPECT_EQ(fault.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(cluster.calls.empty());
}

TEST(NemesisTest, PauseFollowersPausesEveryoneButTheLeaderAndStopResumesThem) {
  FakeCluster cluster(5, 4);
  Nemesis nemesis(cluster, nullptr);
  auto fault = nemesis.Start(Spec(FaultKind::kPause, TargetKind::kFollowers));
  ASSERT_TRUE(fault.ok());
  EXPECT_EQ(fault->nodes, (std::vector<NodeId>{1, 2, 3, 5}));
  EXPECT_EQ(cluster.states.at(4), NodeState::kRunning);
  ASSERT_TRUE(nemesis.Stop(*fault).ok());
  for (NodeId id : {1, 2, 3, 5}) EXPECT_EQ(cluster.states.at(id), NodeState::kRunning);
}

TEST(NemesisTest, FollowerTargetPicksOneNodeThatIsNotTheLeader) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    FakeCluster cluster(3, 2);
    Nemesis nemesis(cluster, nullptr, {.seed = seed});
    auto fault = nemesis.Start(Spec(FaultKind::kPause, TargetKind::kFollower));
    ASSERT_TRUE(fault.ok()) << fault.status().ToString();
    ASSERT_EQ(fault->nodes.size(), 1u);
    EXPECT_NE(fault->nodes[0], 2) << "seed " << seed;
  }
  EXPECT_EQ(ParseTarget("follower")->kind, TargetKind::kFollower);
}

TEST(NemesisTest, MinorityAndMajorityHaveQuorumSizedCountsOnThreeAndFive) {
  for (int n : {3, 5}) {
    for (uint64_t seed = 1; seed <= 10; ++seed) {
      FakeCluster cluster(n, 1);
      Nemesis nemesis(cluster, nullptr, {.seed = seed});
      auto minority = nemesis.Start(Spec(FaultKind::kPause, TargetKind::kMinority));
      ASSERT_TRUE(minority.ok());
      EXPECT_EQ(minority->nodes.size(), static_cast<size_t>(n / 2));
      ASSERT_TRUE(nemesis.Stop(*minority).ok());
      auto majority = nemesis.Start(Spec(FaultKind::kPause, TargetKind::kMajority));
      ASSERT_TRUE(majority.ok());
      EXPECT_EQ(majority->nodes.size(), static_cast<size_t>(n / 2 + 1));
      EXPECT_TRUE(std::is_sorted(majority->nodes.begin(), majority->nodes.end()));
    }
  }
}

TEST(NemesisTest, TheSameSeedChoosesTheSameRandomNodes) {
  auto run = [](uint64_t seed) {
    FakeCluster cluster(5, 1);
    Nemesis nemesis(cluster, nullptr, {.seed = seed});
    std::vector<std::vector<NodeId>> chosen;
    for (int i = 0; i < 8; ++i) {
      auto fault = nemesis.Start(Spec(FaultKind::kRestart, TargetKind::kRandomNode));
      EXPECT_TRUE(fault.ok());
      chosen.push_back(fault->nodes);
    }
    return chosen;
  };
  EXPECT_EQ(run(7), run(7));
  std::set<std::vector<std::vector<NodeId>>> distinct;
  for (uint64_t seed = 1; seed <= 5; ++seed) distinct.insert(run(seed));
  EXPECT_GT(distinct.size(), 1u);
}

TEST(NemesisTest, KillOnlyPicksRunningNodes) {
  FakeCluster cluster(3, 1);
  cluster.states[1] = NodeState::kKilled;
  cluster.states[2] = NodeState::kPaused;
  Nemesis nemesis(cluster, nullptr);
  for (int i = 0; i < 5; ++i) {
    auto fault = nemesis.Start(Spec(FaultKind::kRestart, TargetKind::kRandomNode));
    ASSERT_TRUE(fault.ok());
    EXPECT_EQ(fault->nodes, std::vector<NodeId>{3});
  }
  cluster.states[3] = NodeState::kKilled;
  EXPECT_EQ(nemesis.Start(Spec(FaultKind::kKill, TargetKind::kAll)).status().code(),
            StatusCode::kUnavailable);
}

TEST(NemesisTest, RestartKillsAndStartsAtOnceAndStopDoesNothing) {
  FakeCluster cluster(3, 1);
  Nemesis nemesis(cluster, nullptr);
  auto fault = nemesis.Start(Spec(FaultKind::kRestart, TargetKind::kExplicit, {2}));
  ASSERT_TRUE(fault.ok());
  EXPECT_EQ(cluster.states.at(2), NodeState::kRunning);
  ASSERT_TRUE(nemesis.Stop(*fault).ok());
  EXPECT_EQ(cluster.calls, (std::vector<std::string>{"kill 2", "start 2"}));
}

TEST(NemesisTest, APartialFailureAppliesTheRestAndNamesTheFailure) {
  FakeCluster cluster(3, 1);
  cluster.fail_kill[2] = Status::IoError("boom");
  Nemesis nemesis(cluster, nullptr);
  auto fault = nemesis.Start(Spec(FaultKind::kKill, TargetKind::kAll));
  ASSERT_TRUE(fault.ok());
  EXPECT_EQ(fault->nodes, (std::vector<NodeId>{1, 3}));
  EXPECT_NE(fault->description.find("node 2: IO error: boom"), std::string::npos);
}

TEST(NemesisTest, ExplicitUnknownIdIsInvalid) {
  FakeCluster cluster(3, 1);
  Nemesis nemesis(cluster, nullptr);
  EXPECT_EQ(nemesis.Start(Spec(FaultKind::kKill, TargetKind::kExplicit, {9})).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(NemesisTest, PartitionIsolateLeaderAppliesTheLeadersIsolationAndStopHealsIt) {
  FakeCluster cluster(5, 3);
  FakePartitioner net;
  Nemesis nemesis(cluster, &net);
  auto fault = nemesis.Start(Partition(PartitionShape::kIsolateLeader));
  ASSERT_TRUE(fault.ok()) << fault.status().ToString();
  EXPECT_EQ(fault->nodes, std::vector<NodeId>{3});
  EXPECT_EQ(net.grudge, IsolateNode({1, 2, 3, 4, 5}, 3));
  EXPECT_EQ(*fault->grudge, net.grudge);
  ASSERT_TRUE(nemesis.Stop(*fault).ok());
  EXPECT_TRUE(net.grudge.empty());
}

TEST(NemesisTest, EveryPartitionShapeAppliesTheMatchingGrudge) {
  const std::vector<NodeId> all = {1, 2, 3, 4, 5};
  FakeCluster cluster(5, 2);
  FakePartitioner net;
  Nemesis nemesis(cluster, &net);
  auto applied = [&](FaultSpec spec) {
    auto fault = nemesis.Start(spec);
    EXPECT_TRUE(fault.ok()) << fault.status().ToString();
    Grudge in_force = net.grudge;
    if (fault.ok()) {
      EXPECT_TRUE(nemesis.Stop(*fault).ok());  // partitions add up: one at a time
    }
    return in_force;
  };
  EXPECT_EQ(applied(Partition(PartitionShape::kHalves)), Halves(all));
  EXPECT_EQ(applied(Partition(PartitionShape::kMajoritiesRing)), MajoritiesRing(all));
  EXPECT_EQ(applied(Partition(PartitionShape::kBridge)), Bridge(all));
  EXPECT_EQ(applied(Partition(PartitionShape::kOneWay, TargetKind::kLeader)),
            OneWayIsolate(all, 2));
  FaultSpec isolate_four = Partition(PartitionShape::kIsolateNode, TargetKind::kExplicit);
  isolate_four.target.ids = {4};
  EXPECT_EQ(applied(isolate_four), IsolateNode(all, 4));
  Grudge random = applied(Partition(PartitionShape::kRandomHalves));
  EXPECT_EQ(random.size(), 5u);  // every node is on one side or the other
}

TEST(NemesisTest, PartitionWithoutAPartitionerIsUnavailable) {
  FakeCluster cluster(3, 1);
  Nemesis nemesis(cluster, nullptr);
  EXPECT_EQ(nemesis.Start(Partition(PartitionShape::kHalves)).status().code(),
            StatusCode::kUnavailable);
}

TEST(NemesisTest, DelayOnTheLeaderSlowsEveryLinkToAndFromItAndStopRemovesIt) {
  FakeCluster cluster(3, 1);
  FakePartitioner net;
  Nemesis nemesis(cluster, &net);
  FaultSpec spec = Spec(FaultKind::kDelay, TargetKind::kLeader);
  spec.delay_ms = 250;
  auto fault = nemesis.Start(spec);
  ASSERT_TRUE(fault.ok());
  EXPECT_EQ(net.delays, (std::map<std::pair<NodeId, NodeId>, int>{
                            {{1, 2}, 250}, {{1, 3}, 250}, {{2, 1}, 250}, {{3, 1}, 250}}));
  ASSERT_TRUE(nemesis.Stop(*fault).ok());
  EXPECT_TRUE(net.delays.empty());
}

TEST(NemesisTest, LossOnAllNodesTouchesEveryDirectedLink) {
  FakeCluster cluster(3, 1);
  FakePartitioner net;
  Nemesis nemesis(cluster, &net);
  FaultSpec spec = Spec(FaultKind::kLoss, TargetKind::kAll);
  spec.loss_probability = 0.2;
  auto fault = nemesis.Start(spec);
  ASSERT_TRUE(fault.ok());
  EXPECT_EQ(net.losses.size(), 6u);
  ASSERT_TRUE(nemesis.Stop(*fault).ok());
  EXPECT_TRUE(net.losses.empty());
}

TEST(NemesisTest, DelayOnAPartitionerWithoutLinkFaultsIsInvalid) {
  FakeCluster cluster(3, 1);
  FakePartitioner net(/*link_faults=*/false);
  Nemesis nemesis(cluster, &net);
  FaultSpec spec = Spec(FaultKind::kDelay, TargetKind::kAll);
  spec.delay_ms = 10;
  EXPECT_EQ(nemesis.Start(spec).status().code(), StatusCode::kInvalidArgument);
  spec.delay_ms = 0;
  net = FakePartitioner(true);
  EXPECT_EQ(nemesis.Start(spec).status().code(), StatusCode::kInvalidArgument);
}

TEST(NemesisTest, HealAllResumesPausedStartsDeadAndHealsTheNetwork) {
  FakeCluster cluster(5, 1);
  FakePartitioner net;
  cluster.states[1] = NodeState::kPaused;
  cluster.states[2] = NodeState::kKilled;
  cluster.states[3] = NodeState::kExitedUnexpectedly;
  net.grudge = Halves({1, 2, 3, 4, 5});
  net.delays[{4, 5}] = 100;
  Nemesis nemesis(cluster, &net);
  ASSERT_TRUE(nemesis.HealAll().ok());
  for (NodeId id = 1; id <= 5; ++id) EXPECT_EQ(cluster.states.at(id), NodeState::kRunning);
  EXPECT_TRUE(net.grudge.empty());
  EXPECT_TRUE(net.delays.empty());
  EXPECT_EQ(net.heals, 1);
}

TEST(NemesisTest, StopSkipsANodeThatIsNoLongerInTheStateTheFaultLeft) {
  FakeCluster cluster(3, 1);
  Nemesis nemesis(cluster, nullptr);
  auto fault = nemesis.Start(Spec(FaultKind::kKill, TargetKind::kExplicit, {2}));
  ASSERT_TRUE(fault.ok());
  ASSERT_TRUE(nemesis.HealAll().ok());
  cluster.calls.clear();
  EXPECT_TRUE(nemesis.Stop(*fault).ok());
  EXPECT_TRUE(cluster.calls.empty());
}

TEST(NemesisTest, PartitionsAreAdditiveAndStoppingOneKeepsTheOthersCuts) {
  FakeCluster cluster(3, 1);
  FakePartitioner partitioner;
  Nemesis nemesis(cluster, &partitioner);
  FaultSpec one_two = Partition(PartitionShape::kLinks);
  one_two.links = {{1, 2}};
  FaultSpec three_one = Partition(PartitionShape::kLinks);
  three_one.links = {{3, 1}};
  auto a = nemesis.Start(one_two);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = nemesis.Start(three_one);
  ASSERT_TRUE(b.ok());
  EXPECT_NE(a->id, b->id);
  EXPECT_EQ(partitioner.grudge, (Grudge{{2, {1}}, {1, {3}}}));  // both in force
  EXPECT_EQ(a->nodes, (std::vector<NodeId>{1, 2}));
  ASSERT_TRUE(nemesis.Stop(*a).ok());
  EXPECT_EQ(partitioner.grudge, (Grudge{{1, {3}}}));  // only b's cut is left
  ASSERT_TRUE(nemesis.Stop(*b).ok());
  EXPECT_TRUE(partitioner.grudge.empty());
}

TEST(NemesisTest, OverlappingDelaysOnALinkKeepTheLatestInForceUntilItStops) {
  FakeCluster cluster(3, 1);
  FakePartitioner partitioner;
  Nemesis nemesis(cluster, &partitioner);
  FaultSpec slow = Spec(FaultKind::kDelay, TargetKind::kAll);  // the links replace the target
  slow.links = {{1, 2}};
  slow.delay_ms = 100;
  FaultSpec slower = slow;
  slower.delay_ms = 900;
  auto a = nemesis.Start(slow);
  auto b = nemesis.Start(slower);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(partitioner.delays, (std::map<std::pair<NodeId, NodeId>, int>{{{1, 2}, 900}}));
  ASSERT_TRUE(nemesis.Stop(*b).ok());
  EXPECT_EQ(partitioner.delays.at({1, 2}), 100);  // a is still in force
  ASSERT_TRUE(nemesis.Stop(*a).ok());
  EXPECT_TRUE(partitioner.delays.empty());
}

TEST(NemesisTest, ALinkToANodeThatDoesNotExistIsInvalid) {
  FakeCluster cluster(3, 1);
  FakePartitioner partitioner;
  Nemesis nemesis(cluster, &partitioner);
  FaultSpec cut = Partition(PartitionShape::kLinks);
  cut.links = {{1, 7}};
  EXPECT_EQ(nemesis.Start(cut).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(partitioner.grudge.empty());
}

TEST(NemesisTest, ANodeNamedExplicitlyMayBeKilledWhilePaused) {
  FakeCluster cluster(3, 1);
  Nemesis nemesis(cluster, nullptr);
  auto pause = nemesis.Start(Spec(FaultKind::kPause, TargetKind::kExplicit, {2}));
  ASSERT_TRUE(pause.ok());
  auto kill = nemesis.Start(Spec(FaultKind::kKill, TargetKind::kExplicit, {2}));
  ASSERT_TRUE(kill.ok()) << kill.status().ToString();
  EXPECT_EQ(cluster.states.at(2), NodeState::kKilled);
  // A random target still only picks running nodes.
  cluster.states[3] = NodeState::kPaused;
  auto random = nemesis.Start(Spec(FaultKind::kKill, TargetKind::kRandomNode));
  ASSERT_TRUE(random.ok());
  EXPECT_EQ(random->nodes, std::vector<NodeId>{1});
}

TEST(FaultKindTable, EveryKindHasOneRowAndNetworkKindsNeedAPartitioner) {
  std::set<std::string_view> names;
  for (const FaultKindInfo& k : FaultKinds()) {
    EXPECT_TRUE(names.insert(k.name).second) << k.name;
    EXPECT_EQ(KindInfo(k.kind).name, k.name);
    EXPECT_EQ(k.fault_class == FaultClass::kProcess, k.action != ProcessAction::kNone) << k.name;
  }
  EXPECT_TRUE(IsNetworkFault(FaultKind::kPartition));
  EXPECT_TRUE(IsLinkFault(FaultKind::kLoss));
  EXPECT_FALSE(IsNetworkFault(FaultKind::kRestart));
}

}  // namespace
}  // namespace faultline::harness
