#include <gtest/gtest.h>

#include "checkers/checkers.h"
#include "checkers/cli/check_command.h"
#include "checkers/tests/history_builder.h"

namespace faultline::checkers {
namespace {

using testing::HistoryBuilder;

TEST(StaleReads, AnOldValueAfterANewerAcknowledgedWriteIsAnObservationWithItsStaleness) {
  HistoryBuilder b;
  b.Write(0, "a", 0, 10).WithZxid(0x100000001);
  b.Write(0, "b", 20, 30).WithZxid(0x100000002);
  b.Read(1, "a", 1'000'030, 1'000'040);  // began 1 ms after b was acknowledged
  StaleReadResult r = CheckStaleReads(b.Build());
  EXPECT_EQ(r.reads_checked, 1);
  ASSERT_EQ(r.stale_reads, 1);
  EXPECT_EQ(r.max_writes_behind, 1);
  EXPECT_EQ(r.max_behind_ns, 1'000'000);
  ASSERT_EQ(r.observations.size(), 1u);
  const Anomaly& a = r.observations[0];
  EXPECT_TRUE(a.observation);
  EXPECT_EQ(a.checker, "stale-reads");
  EXPECT_EQ(a.ops, (std::vector<int64_t>{0, 1, 2}));
  EXPECT_NE(a.description.find("1.0 ms earlier"), std::string::npos) << a.description;
  EXPECT_NE(r.reason.find("1 of 1 reads stale"), std::string::npos) << r.reason;
}

TEST(StaleReads, CountsEveryMissedWrite) {
  HistoryBuilder b;
  b.Write(0, "a", 0, 10).Write(0, "b", 20, 30).Write(0, "c", 40, 50).Write(0, "d", 60, 70);
  b.Read(1, "a", 100, 110);
  StaleReadResult r = CheckStaleReads(b.Build());
  ASSERT_EQ(r.stale_reads, 1);
  EXPECT_EQ(r.max_writes_behind, 3);
  EXPECT_EQ(r.observations[0].ops.back(), 4);
  EXPECT_EQ(r.observations[0].ops[1], 3);  // the latest missed write
}

TEST(StaleReads, AWriteStillInFlightWhenTheReadBeganDoesNotMakeItStale) {
  HistoryBuilder b;
  b.Write(0, "a", 0, 10).Write(0, "b", 20, 200);
  b.Read(1, "a", 100, 110);
  EXPECT_EQ(CheckStaleReads(b.Build()).stale_reads, 0);
}

TEST(StaleReads, AnInfoWriteIsNeverCountedAsCommitted) {
  HistoryBuilder b;
  b.Write(0, "a", 0, 10).Write(0, "b", 20, 30, Outcome::kInfo);
  b.Read(1, "a", 100, 110);
  EXPECT_EQ(CheckStaleReads(b.Build()).stale_reads, 0);
}

TEST(StaleReads, ZxidsOrderWritesThatRealTimeCannot) {
  // Both writes overlap in real time; their zxids say a (0x..3) came before b (0x..5).
  HistoryBuilder b;
  b.Write(0, "b", 0, 10).WithZxid(0x100000005);
  b.Write(1, "a", 0, 20).WithZxid(0x100000003);
  b.Read(2, "a", 100, 110);
  EXPECT_EQ(CheckStaleReads(b.Build()).stale_reads, 1);
  HistoryBuilder no_zxids;
  no_zxids.Write(0, "b", 0, 10).Write(1, "a", 0, 20).Read(2, "a", 100, 110);
  EXPECT_EQ(CheckStaleReads(no_zxids.Build()).stale_reads, 0);
}

TEST(StaleReads, NilAfterAnAcknowledgedWriteIsStaleUnlessTheKeyIsEverDeleted) {
  HistoryBuilder b;
  b.Write(0, "a", 0, 10).Read(1, std::nullopt, 100, 110);
  EXPECT_EQ(CheckStaleReads(b.Build()).stale_reads, 1);
  b.Add(0, Fn::kDelete, std::nullopt, 200, 210);
  EXPECT_EQ(CheckStaleReads(b.Build()).stale_reads, 0);
}

TEST(StaleReads, KeysAreIndependentAndFreshReadsAreNotReported) {
  HistoryBuilder b;
  b.Write(0, "a", 0, 10, Outcome::kOk, "x").Write(0, "b", 20, 30, Outcome::kOk, "y");
  b.Read(1, "a", 100, 110, Outcome::kOk, "x").Read(1, "b", 100, 110, Outcome::kOk, "y");
  StaleReadResult r = CheckStaleReads(b.Build());
  EXPECT_EQ(r.reads_checked, 2);
  EXPECT_EQ(r.stale_reads, 0);
  EXPECT_NE(r.reason.find("none stale"), std::string::npos);
}

TEST(StaleReads, ObservationsAreCappedButAllAreCounted) {
  HistoryBuilder b;
  b.Write(0, "a", 0, 10).Write(0, "b", 20, 30);
  for (int i = 0; i < kStaleReadObservationsMax + 5; ++i) b.Read(1, "a", 100 + i, 100 + i);
  StaleReadResult r = CheckStaleReads(b.Build());
  EXPECT_EQ(r.stale_reads, kStaleReadObservationsMax + 5);
  EXPECT_EQ(static_cast<int64_t>(r.observations.size()), kStaleReadObservationsMax);
}

TEST(SyncReadExplanation, ALinearizabilityViolationDuringAPartitionNamesZooKeeper1675) {
  HistoryBuilder b;
  b.Fault("partition", {3}, 50, 500);
  History h = b.Build();
  h.read_mode = ReadMode::kSync;
  Anomaly during;
  during.checker = "linearizability";
  during.description = "key k is not linearizable.";
  during.start_ns = 100;
  during.end_ns = 200;
  Anomaly later = during;
  later.start_ns = 10'000;
  later.end_ns = 20'000;
  std::vector<Anomaly> anomalies = {during, later};
  EXPECT_EQ(ExplainSyncReadAnomalies(h, &anomalies), 1);
  EXPECT_NE(anomalies[0].description.find("ZOOKEEPER-1675"), std::string::npos);
  EXPECT_EQ(anomalies[1].description, "key k is not linearizable.");
  h.read_mode = ReadMode::kLocal;
  std::vector<Anomaly> local = {during};
  EXPECT_EQ(ExplainSyncReadAnomalies(h, &local), 0);
  EXPECT_EQ(local[0].description, "key k is not linearizable.");
}

// The explanation is part of RunChecks, so `faultline run` and `faultline check RUN` both name
// the window: a sync read of an overwritten value while the old leader was partitioned away.
TEST(SyncReadExplanation, RunChecksNamesZooKeeper1675OnASyncModeViolationDuringAPartition) {
  HistoryBuilder b;
  b.Write(0, "a", 0, 10).Write(1, "b", 20, 30).Read(2, "a", 40, 50);
  b.Fault("partition", {3}, 5, 60);
  History h = b.Build();
  h.read_mode = ReadMode::kSync;
  ModelOptions model;
  model.kind = ModelKind::kRegister;
  CheckReport r = RunChecks(h, model, Budget{}, CheckPlan{});
  ASSERT_EQ(r.linearizability.verdict, Verdict::kInvalid);
  ASSERT_EQ(r.linearizability.anomalies.size(), 1u);
  EXPECT_NE(r.linearizability.anomalies[0].description.find("ZOOKEEPER-1675"), std::string::npos)
      << r.linearizability.anomalies[0].description;
  // Without the partition the same violation is not explained away.
  h.faults.clear();
  r = RunChecks(h, model, Budget{}, CheckPlan{});
  ASSERT_EQ(r.linearizability.anomalies.size(), 1u);
  EXPECT_EQ(r.linearizability.anomalies[0].description.find("ZOOKEEPER-1675"), std::string::npos);
}

}  // namespace
}  // namespace faultline::checkers

namespace faultline::checkers {
namespace {

using testing::HistoryBuilder;

// Regression (found while adding ZooKeeper, where writes time out during partitions): a write
// that timed out (info) before another write began may still be applied after it, so reading it
// after the other one is not "back in time".
TEST(SessionOrder, InfoWriteThatTimedOutBeforeAnotherWriteMayStillFollowIt) {
  auto h = HistoryBuilder()
               .Write(1, "a", 0, 10, Outcome::kInfo)
               .Write(2, "b", 20, 30)
               .Read(3, "b", 40, 50)
               .Read(3, "a", 60, 70)
               .Build();
  SessionResult r = CheckSessionOrder(h);
  EXPECT_EQ(r.verdict, Verdict::kValid) << (r.anomalies.empty() ? "" : r.anomalies[0].description);
  // The same with an acknowledged first write does go back in time.
  auto ok = HistoryBuilder()
                .Write(1, "a", 0, 10)
                .Write(2, "b", 20, 30)
                .Read(3, "b", 40, 50)
                .Read(3, "a", 60, 70)
                .Build();
  EXPECT_EQ(CheckSessionOrder(ok).verdict, Verdict::kInvalid);
}

}  // namespace
}  // namespace faultline::checkers
