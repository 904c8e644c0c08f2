#include "harness/history/run_metrics.h"

#include <gtest/gtest.h>

namespace faultline::harness {
namespace {

constexpr int64_t kMs = 1'000'000;

checkers::Op Op(int64_t index, checkers::Fn f, int64_t invoke_ms, int64_t complete_ms,
                checkers::Outcome outcome = checkers::Outcome::kOk, int64_t process = 1) {
  checkers::Op op;
  op.index = index;
  op.process = process;
  op.f = f;
  op.key = "k";
  op.invoke_ns = invoke_ms * kMs;
  op.complete_ns = complete_ms * kMs;
  op.outcome = outcome;
  return op;
}

FaultRecord Fault(int64_t index, const std::string& kind, std::vector<int64_t> targets,
                  int64_t start_ms, const std::string& description, const std::string& detail) {
  FaultRecord f;
  f.index = index;
  f.kind = kind;
  f.targets = std::move(targets);
  f.start_ns = start_ms * kMs;
  f.stop_ns = (start_ms + 1000) * kMs;
  f.description = description;
  f.detail_json = detail;
  return f;
}

const char* kLeaderIs3 = R"({"roles":{"1":"following","2":"following","3":"leading"}})";

// A write acknowledged every 10 ms from 0 to 3000 ms except in [gap_from, gap_to).
checkers::History Writes(int64_t gap_from, int64_t gap_to) {
  checkers::History h;
  int64_t i = 0;
  for (int64_t t = 0; t <= 3000; t += 10) {
    if (t >= gap_from && t < gap_to) continue;
    h.ops.push_back(Op(i++, checkers::Fn::kWrite, t, t + 2));
  }
  return h;
}

TEST(RunMetrics, ThroughputAndLatencyCountOnlyOkWorkloadOps) {
  checkers::History h;
  h.ops.push_back(Op(0, checkers::Fn::kWrite, 0, 10));
  h.ops.push_back(Op(1, checkers::Fn::kRead, 100, 130));
  h.ops.push_back(Op(2, checkers::Fn::kWrite, 200, 1200, checkers::Outcome::kInfo));
  h.ops.push_back(Op(3, checkers::Fn::kRead, 1900, 2000));
  // A final read far later is not workload: it neither stretches the span nor counts.
  h.ops.push_back(
      Op(4, checkers::Fn::kRead, 9000, 9001, checkers::Outcome::kOk, kFinalReadProcessMin));
  RunMetrics m = ComputeRunMetrics(h, {});
  EXPECT_EQ(m.ops, 4);
  EXPECT_EQ(m.ok, 3);
  EXPECT_EQ(m.workload_ms, 2000);
  EXPECT_DOUBLE_EQ(m.ok_per_s, 1.5);
  ASSERT_TRUE(m.p50_ms && m.p99_ms);
  EXPECT_DOUBLE_EQ(*m.p50_ms, 30);
  EXPECT_DOUBLE_EQ(*m.p99_ms, 100);
  EXPECT_FALSE(m.failover_ms) << "no fault, no failover";
  EXPECT_EQ(FormatFailover(m), "-");
}

TEST(RunMetrics, FailoverIsTheLongestGapInAcknowledgementsAfterALeaderFault) {
  // Leader killed at 1000 ms; nothing acknowledged from 1000 until 1450.
  checkers::History h = Writes(1000, 1450);
  std::vector<FaultRecord> faults = {
      Fault(0, "kill", {3}, 1000, "kill leader: node 3 (leading)", kLeaderIs3)};
  RunMetrics m = ComputeRunMetrics(h, faults);
  ASSERT_TRUE(m.failover_ms);
  EXPECT_NEAR(*m.failover_ms, 452, 0.001);  // 1000 -> the ack of the write invoked at 1450
  EXPECT_FALSE(m.failover_open);
  EXPECT_EQ(m.failover_basis, "leader");
  EXPECT_EQ(m.failover_fault, 0);
  EXPECT_EQ(FormatFailover(m), "0.5s");
}

TEST(RunMetrics, WritesInFlightWhenAPartitionIsRecordedDoNotHideTheOutage) {
  // One write acknowledged 20 ms after the partition was recorded, then an outage to 1600.
  checkers::History h = Writes(1000, 1600);
  h.ops.push_back(Op(9999, checkers::Fn::kWrite, 995, 1020));
  std::vector<FaultRecord> faults = {Fault(
      0, "partition", {3}, 1000, "partition isolate-leader: node 3 (leading) | ...",
      R"({"shape":"isolate-leader","roles":{"1":"following","2":"following","3":"leading"}})")};
  RunMetrics m = ComputeRunMetrics(h, faults);
  ASSERT_TRUE(m.failover_ms);
  EXPECT_NEAR(*m.failover_ms, 1602 - 1020, 0.001);
}

TEST(RunMetrics, OnlyLeaderFaultsCountWhenThereAreAnyElseEveryFault) {
  // A follower pause with a long gap, a leader kill with a short one.
  checkers::History h;
  int64_t i = 0;
  for (int64_t t = 0; t <= 4000; t += 10) {
    if ((t >= 1000 && t < 1800) || (t >= 3000 && t < 3200)) continue;
    h.ops.push_back(Op(i++, checkers::Fn::kWrite, t, t + 2));
  }
  FaultRecord pause = Fault(0, "pause", {1}, 1000, "pause random: node 1 (following)", kLeaderIs3);
  FaultRecord kill = Fault(1, "kill", {3}, 3000, "kill random: node 3 (leading)", kLeaderIs3);
  RunMetrics both = ComputeRunMetrics(h, {pause, kill});
  EXPECT_EQ(both.failover_basis, "leader");
  EXPECT_EQ(both.failover_fault, 1);
  EXPECT_NEAR(*both.failover_ms, 202, 0.001);
  RunMetrics follower_only = ComputeRunMetrics(h, {pause});
  EXPECT_EQ(follower_only.failover_basis, "every");
  EXPECT_NEAR(*follower_only.failover_ms, 802, 0.001);
}

TEST(RunMetrics, NoWriteAcknowledgedAfterTheFaultIsAnOpenWindowToTheEnd) {
  checkers::History h = Writes(1000, 100000);
  h.ops.push_back(Op(5000, checkers::Fn::kRead, 2900, 3000));  // the workload goes on to 3000
  std::vector<FaultRecord> faults = {
      Fault(0, "kill", {3}, 1000, "kill leader: node 3 (leading)", kLeaderIs3)};
  RunMetrics m = ComputeRunMetrics(h, faults);
  ASSERT_TRUE(m.failover_ms);
  EXPECT_NEAR(*m.failover_ms, 2000, 0.001);
  EXPECT_TRUE(m.failover_open);
  EXPECT_EQ(FormatFailover(m), "2.0s+");
}

TEST(RunMetrics, FaultHitLeaderReadsTargetShapeRolesAndDescription) {
  EXPECT_TRUE(
      FaultHitLeader(Fault(0, "kill", {3}, 0, "kill random: node 3 (leading)", kLeaderIs3)));
  EXPECT_FALSE(
      FaultHitLeader(Fault(0, "kill", {1}, 0, "kill random: node 1 (following)", kLeaderIs3)));
  // Halves touch every node: the leader may keep its majority.
  EXPECT_FALSE(
      FaultHitLeader(Fault(0, "partition", {1, 2, 3}, 0, "partition halves: ...", kLeaderIs3)));
  EXPECT_TRUE(FaultHitLeader(
      Fault(0, "partition", {3}, 0, "partition isolate-node: node 3 (leading) | ...", kLeaderIs3)));
  // Rows from before roles were stored: the description names the target.
  EXPECT_TRUE(FaultHitLeader(Fault(0, "pause", {2}, 0, "pause leader: node 2", "{}")));
  EXPECT_TRUE(FaultHitLeader(Fault(0, "restart", {2}, 0, "restart", R"({"target":"leader"})")));
}

}  // namespace
}  // namespace faultline::harness
