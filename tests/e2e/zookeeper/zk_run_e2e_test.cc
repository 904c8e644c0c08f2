// `faultline run` against real ZooKeeper 3.8 (label e2e): the shipped ZooKeeper suites, shortened.
// Skips with one line when java, the zookeeper package or the faultline binary is absent. Each test
// owns a temp dir (store + run folders) and the faultline child; both are cleaned up even when an
// assertion fails (the ZooKeeper servers die with faultline: PR_SET_PDEATHSIG).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/e2e/report/faultline_child.h"
#include "tests/e2e/zookeeper/ensemble.h"

namespace {

using faultline::e2e::FaultlineSandbox;
using faultline::e2e::kBin;
using faultline::e2e::kSource;

class ZooKeeperRunE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string skip = faultline::harness::zookeeper::testing::SkipReason();
    if (!skip.empty()) GTEST_SKIP() << skip;
    if (!std::filesystem::exists(kBin + "/faultline")) GTEST_SKIP() << "faultline not built";
    box_ = std::make_unique<FaultlineSandbox>();
  }

  int64_t Count(const std::string& sql) const {
    const std::string v = box_->QueryOne(sql);
    return v.empty() ? -1 : std::stoll(v);
  }

  std::unique_ptr<FaultlineSandbox> box_;
};

// The brief's two checks on one run: a 20 s kill + partition run ends valid, and the importer
// finds the election the leader kill caused and the sync decisions that brought nodes back.
TEST_F(ZooKeeperRunE2e, KillAndPartitionRunEndsValidAndTheImporterFindsTheElectionAndItsSyncs) {
  std::string out;
  const int code = box_->Run(
      {"run", kSource + "/workloads/zookeeper.yaml", "--time-limit", "20s", "--seed", "3"}, &out);
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(box_->QueryOne("SELECT status, verdict, system FROM runs"), "finished|valid|zookeeper")
      << out;
  EXPECT_GE(Count("SELECT COUNT(*) FROM faults WHERE kind = 'kill' AND stop_ns IS NOT NULL"), 1)
      << out;
  EXPECT_GE(Count("SELECT COUNT(*) FROM faults WHERE kind = 'partition' AND stop_ns IS NOT NULL"),
            1)
      << out;
  // Every promised checker judged the run (none could-not-run), and none found an anomaly.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM verdicts WHERE verdict != 'valid'"), 0) << out;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM verdicts WHERE checker = 'zab-invariants'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM anomalies WHERE observation = 0"), 0) << out;
  // The election after the leader kill: a second epoch established, by a node that is not the
  // killed leader, after the kill began.
  const std::string kill_start_ms =
      box_->QueryOne("SELECT MIN(start_ns) / 1000000 FROM faults WHERE kind = 'kill'");
  const std::string killed = box_->QueryOne(
      "SELECT json_extract(targets, '$[0]') FROM faults WHERE kind = 'kill' "
      "ORDER BY fault_index LIMIT 1");
  EXPECT_GE(Count("SELECT COUNT(DISTINCT json_extract(json, '$.epoch')) FROM node_events WHERE "
                  "type = 'established'"),
            2)
      << out;
  EXPECT_GE(Count("SELECT COUNT(*) FROM node_events WHERE type = 'established' AND "
                  "ts_ms > " +
                  kill_start_ms + " AND node != " + killed),
            1)
      << out;
  // The sync decisions it caused: the new leader synced its followers (and the killed node when
  // it came back), each decision joined with what the follower logged.
  EXPECT_GE(Count("SELECT COUNT(*) FROM node_events WHERE type = 'sync_decision' AND "
                  "ts_ms > " +
                  kill_start_ms +
                  " AND json_extract(json, '$.matched') = 1 AND "
                  "json_extract(json, '$.mode') IN ('DIFF','TRUNC','TRUNC+DIFF','SNAP')"),
            2)
      << out;
  EXPECT_GE(Count("SELECT COUNT(*) FROM node_events WHERE type = 'sync_decision' AND "
                  "json_extract(json, '$.peer') = " +
                  killed + " AND ts_ms > " + kill_start_ms),
            1)
      << "the killed node rejoined through a sync decision\n"
      << out;
  // Writes carry the zxid ZooKeeper committed them at (mzxid).
  EXPECT_GT(Count("SELECT COUNT(*) FROM ops WHERE f = 'write' AND outcome = 'ok' AND "
                  "zxid IS NOT NULL"),
            0);
}

// sync read mode: every op, reads included, is judged for linearizability (no session-order
// fallback, no stale-read observations), through a leader-isolating partition and a leader kill.
TEST_F(ZooKeeperRunE2e, SyncReadsAreCheckedForLinearizabilityThroughPartitionAndKill) {
  std::string out;
  const int code = box_->Run(
      {"run", kSource + "/workloads/zookeeper-sync.yaml", "--time-limit", "15s", "--seed", "5"},
      &out);
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(box_->QueryOne("SELECT status, verdict, system FROM runs"), "finished|valid|zookeeper")
      << out;
  EXPECT_NE(out.find("(sync reads)"), std::string::npos) << out;
  EXPECT_EQ(box_->QueryOne("SELECT verdict FROM verdicts WHERE checker = 'linearizability'"),
            "valid")
      << out;
  // Reads were promised linearizable, so no checker treated them as local reads.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM verdicts WHERE checker IN ('session-order', "
                  "'stale-reads')"),
            0)
      << out;
  EXPECT_GT(Count("SELECT COUNT(*) FROM ops WHERE f = 'read' AND outcome = 'ok'"), 0) << out;
  EXPECT_GE(Count("SELECT COUNT(*) FROM faults WHERE kind = 'partition' AND stop_ns IS NOT NULL"),
            1)
      << out;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM anomalies"), 0) << out;
}

TEST_F(ZooKeeperRunE2e, AStalePlainGetIsReportedAsAnObservationNotAnAnomaly) {
  std::string out;
  const int code = box_->Run(
      {"run", kSource + "/workloads/zookeeper-lag.yaml", "--time-limit", "12s", "--seed", "4"},
      &out);
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(box_->QueryOne("SELECT verdict FROM runs"), "valid") << out;
  EXPECT_GT(Count("SELECT COUNT(*) FROM anomalies WHERE checker = 'stale-reads' AND "
                  "observation = 1"),
            0)
      << out;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM anomalies WHERE observation = 0"), 0) << out;
  EXPECT_EQ(box_->QueryOne("SELECT verdict FROM verdicts WHERE checker = 'stale-reads'"), "valid");
  EXPECT_NE(out.find("observations: "), std::string::npos) << out;
  EXPECT_NE(out.find("anomalies: 0"), std::string::npos) << out;
}

}  // namespace
