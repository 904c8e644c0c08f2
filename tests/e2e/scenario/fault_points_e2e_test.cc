// The shipped ZooKeeper-bug scenarios catch the bug they name: run against a zabd that re-creates
// it (`zabd --fault NAME`, server/core/fault_points.h) through the scenario's zabd_flags, the
// scenario must NOT pass (zab.md 8: "every bug in section 8 can be re-enabled as a named fault
// point so the harness can prove it catches it"). scenario_e2e_test shows every shipped scenario
// passing without; the zk-4643 and zk-2845 pairs below show both directions here, the zk-4643 one
// under --power-loss-sim too (a kill then loses exactly what a power cut would).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "harness/scenario/runner.h"
#include "harness/scenario/scenario.h"

namespace faultline::harness::scenario {
namespace {

namespace fs = std::filesystem;

const std::string kZabd = std::string(FAULTLINE_BIN_DIR) + "/zabd";

class FaultPointE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kZabd)) GTEST_SKIP() << "zabd not built at " << kZabd;
    char tmpl[] = "/tmp/faultline-faultpoint-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  // Runs the shipped scenario `name` with `zabd --fault fault` (none if empty) and `extra` flags
  // on every node.
  ScenarioOutcome RunWithFault(const std::string& name, const std::string& fault,
                               const std::vector<std::string>& extra = {}) {
    Result<Scenario> s = LoadScenarioFile(std::string(FAULTLINE_SOURCE_DIR) +
                                          "/workloads/scenarios/" + name + ".yaml");
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return ScenarioOutcome{};
    s->zabd_flags = extra;
    if (!fault.empty()) s->zabd_flags.insert(s->zabd_flags.end(), {"--fault", fault});
    ScenarioRunOptions o;
    o.zabd_path = kZabd;
    o.store_path = dir_ + "/faultline.db";
    o.results_dir = dir_ + "/results";
    o.out = &out_;
    return RunScenario(*s, o);
  }

  std::string dir_;
  std::ostringstream out_;
};

TEST_F(FaultPointE2E, Zk3911ScenarioFailsWKeptAgainstZabdWithFaultZk3911) {
  ScenarioOutcome out = RunWithFault("zk-3911-diff-persisted-before-ack", "zk-3911");
  ASSERT_EQ(out.exit_code, 1) << out_.str();
  EXPECT_NE(out.narrative.find("FAILS step 15 {expect: {op: w1, outcome: kept}}"),
            std::string::npos)
      << out.narrative;
}

TEST_F(FaultPointE2E, Zk1154ScenarioDivergesAndFailsWLostAgainstZabdWithFaultZk1154) {
  // The old leader gets a plain DIFF and keeps its divergent w1: the replicas' state digests
  // never agree; the `wait: agree` step ends on that divergence (it is not a scenario that could
  // not run) and the expectations judge it: w1 survives on the old leader only.
  ScenarioOutcome out = RunWithFault("zk-1154-divergent-txn-truncated", "zk-1154");
  ASSERT_EQ(out.exit_code, 1) << out_.str();
  EXPECT_NE(out.narrative.find("never agreed, their states differ"), std::string::npos)
      << out.narrative;
  EXPECT_NE(out.narrative.find("state digests differ"), std::string::npos) << out.narrative;
  EXPECT_NE(out.narrative.find("FAILS step 14 {expect: {op: w1, outcome: lost}}"),
            std::string::npos)
      << out.narrative;
  EXPECT_NE(out.narrative.find(": DIFF (peer at 0x100000002"), std::string::npos) << out.narrative;
}

TEST_F(FaultPointE2E, Zk4643ScenarioFailsWKeptAgainstZabdWithFaultZk4643) {
  // F0 persists epoch 2 and is killed before its log writer logs w1; it then wins on epoch and
  // truncates w1 from L.
  ScenarioOutcome out = RunWithFault("zk-4643-epoch-before-history", "zk-4643");
  ASSERT_EQ(out.exit_code, 1) << out_.str();
  EXPECT_NE(out.narrative.find("FAILS step 15 {expect: {op: w1, outcome: kept}}"),
            std::string::npos)
      << out.narrative;
}

TEST_F(FaultPointE2E, Zk4643ScenarioUnderPowerLossFailsWithTheFaultAndPassesWithout) {
  // A kill is a power cut here: whatever was not fsynced is gone. The correct server still keeps
  // w1 (it logs and fsyncs the synced txns before currentEpoch); the fault still loses it.
  ScenarioOutcome with =
      RunWithFault("zk-4643-epoch-before-history", "zk-4643", {"--power-loss-sim"});
  ASSERT_EQ(with.exit_code, 1) << out_.str();
  EXPECT_NE(with.narrative.find("FAILS step 15 {expect: {op: w1, outcome: kept}}"),
            std::string::npos)
      << with.narrative;
  ScenarioOutcome without = RunWithFault("zk-4643-epoch-before-history", "", {"--power-loss-sim"});
  EXPECT_EQ(without.exit_code, 0) << without.narrative << out_.str();
}

TEST_F(FaultPointE2E, Zk2845ScenarioPassesAgainstTheCorrectServer) {
  // The other direction of the test below, on the same scenario file.
  ScenarioOutcome out = RunWithFault("zk-2845-partitioned-leader-tail", "");
  EXPECT_EQ(out.exit_code, 0) << out.narrative << out_.str();
}

TEST_F(FaultPointE2E, Zk2845ScenarioFailsTheSyncExpectationAgainstZabdWithFaultZk2845) {
  // L advertises its applied zxid (w0), so the new leader DIFFs it and w1 stays in its log.
  ScenarioOutcome out = RunWithFault("zk-2845-partitioned-leader-tail", "zk-2845");
  ASSERT_EQ(out.exit_code, 1) << out_.str();
  EXPECT_NE(out.narrative.find("FAILS step 11 {expect: {sync: {node: L, mode: [TRUNC, TRUNC+DIFF, "
                               "SNAP]}}}: n"),
            std::string::npos)
      << out.narrative;
  EXPECT_NE(out.narrative.find(": DIFF (peer_zxid 0x100000001"), std::string::npos)
      << out.narrative;
}

}  // namespace
}  // namespace faultline::harness::scenario
