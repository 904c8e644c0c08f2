// Every shipped scenario passes against real zabd; the runner's exit codes (1: an expectation
// failed, 2: a wait timed out) and its records in the history store.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness/history/history_store.h"
#include "harness/scenario/runner.h"
#include "harness/scenario/scenario.h"
#include "tests/e2e/closed_pipe.h"

namespace faultline::harness::scenario {
namespace {

namespace fs = std::filesystem;

const std::string kZabd = std::string(FAULTLINE_BIN_DIR) + "/zabd";

// A temp folder for the store and the run folders, removed even when the test fails.
class ScenarioE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kZabd)) GTEST_SKIP() << "zabd not built at " << kZabd;
    char tmpl[] = "/tmp/faultline-scenario-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  ScenarioOutcome Run(const Scenario& s) {
    ScenarioRunOptions o;
    o.zabd_path = kZabd;
    o.store_path = dir_ + "/faultline.db";
    o.results_dir = dir_ + "/results";
    o.out = &out_;
    return RunScenario(s, o);
  }

  std::string dir_;
  std::ostringstream out_;
};

TEST_F(ScenarioE2E, AFailedExpectationExitsOneAndExplainsIt) {
  Result<Scenario> s = ParseScenario(R"(name: acked-write-is-not-lost
steps:
  - write: {name: w1, key: x, value: "1"}
  - expect: {op: w1, outcome: lost}
  - expect: {op: w1, outcome: kept}
)",
                                     "inline.yaml");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ScenarioOutcome out = Run(*s);
  ASSERT_EQ(out.exit_code, 1) << out_.str();
  ASSERT_EQ(out.expectations.size(), 2u);
  EXPECT_FALSE(out.expectations[0].held);
  EXPECT_TRUE(out.expectations[1].held) << out.expectations[1].detail;
  EXPECT_NE(out.narrative.find("FAILS step 2"), std::string::npos) << out.narrative;
  EXPECT_NE(out.narrative.find("w1 (x=1) to n"), std::string::npos) << out.narrative;

  // Recorded like any run: ops (the write and the final reads), node events, a stored verdict.
  auto store = HistoryStore::Open(dir_ + "/faultline.db");
  ASSERT_TRUE(store.ok());
  auto run = (*store)->GetRun(out.run_id);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->suite, "scenario:acked-write-is-not-lost");
  EXPECT_EQ(run->verdict, "invalid");
  auto history = (*store)->LoadHistory(out.run_id);
  ASSERT_TRUE(history.ok());
  // w1 + one ok final read per node (every attempt is recorded, so a retried read adds rows).
  int ok_final_reads = 0;
  for (const auto& op : history->ops) {
    ok_final_reads += op.f == checkers::Fn::kRead && op.ok() ? 1 : 0;
  }
  EXPECT_EQ(ok_final_reads, 3);
  EXPECT_GE(history->ops.size(), 4u);
  EXPECT_FALSE(history->node_events.empty());
  // The realized schedule names who the roles resolved to; the narrative is in the run folder.
  EXPECT_NE(run->schedule_json.find("leader=n"), std::string::npos) << run->schedule_json;
  EXPECT_TRUE(fs::exists(fs::path(run->folder) / "narrative.txt"));
}

TEST_F(ScenarioE2E, AWaitThatNeverHoldsTimesOutNamingTheStepAndWhatItSaw) {
  Result<Scenario> s = ParseScenario(R"(name: impossible-wait
steps:
  - kill: n1
  - wait: {until: {leader-epoch-above: 1000}, timeout_ms: 300}
  - expect: invariants
)",
                                     "inline.yaml");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ScenarioOutcome out = Run(*s);
  EXPECT_EQ(out.exit_code, 2) << out_.str();
  EXPECT_NE(out.error.find("step 2 (wait, line 4): wait until a leader is established in an "
                           "epoch above 1000: not reached within 300 ms; last seen: "),
            std::string::npos)
      << out.error;
  EXPECT_NE(out.error.find("n1 down"), std::string::npos) << out.error;
  EXPECT_TRUE(out.expectations.empty());
  auto store = HistoryStore::Open(dir_ + "/faultline.db");
  ASSERT_TRUE(store.ok());
  auto run = (*store)->GetRun(out.run_id);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, "error");
  auto faults = (*store)->LoadFaults(out.run_id);
  ASSERT_TRUE(faults.ok());
  ASSERT_EQ(faults->size(), 1u);
  EXPECT_EQ((*faults)[0].kind, "kill");
}

// faultline-scenario ignores SIGPIPE as faultline does: with its output going into a pipe whose
// reader is gone (`faultline-scenario scenario F | head -1` once head has its line), it still runs
// the scenario to its verdict and exits 0, where without it the first line printed killed it.
TEST_F(ScenarioE2E, FaultlineScenarioWhoseReaderWentAwayRunsToItsVerdict) {
  const std::string bin = std::string(FAULTLINE_BIN_DIR) + "/faultline-scenario";
  if (!fs::exists(bin)) GTEST_SKIP() << "faultline-scenario not built at " << bin;
  const std::string file = dir_ + "/s.yaml";
  {
    std::ofstream f(file);
    f << "name: closed-pipe\nsteps:\n  - write: {name: w1, key: x, value: \"1\"}\n"
         "  - expect: {op: w1, outcome: kept}\n";
  }
  std::vector<std::string> args = {bin,         "--store",   dir_ + "/faultline.db",
                                   "--results", dir_ + "/r", "scenario",
                                   file,        "--zabd",    kZabd};
  const pid_t pid = faultline::testing::SpawnIntoAClosedPipe(args);
  ASSERT_GT(pid, 0);
  const int code = faultline::testing::ExitCode(pid);
  EXPECT_EQ(code, 0) << "128 + 13 is death by SIGPIPE";
  auto store = HistoryStore::Open(dir_ + "/faultline.db");
  ASSERT_TRUE(store.ok());
  auto run = (*store)->GetRun(1);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->status, "finished");
  EXPECT_EQ(run->verdict, "valid");
}

std::vector<std::string> ShippedScenarios() {
  std::vector<std::string> out;
  for (const auto& e :
       fs::directory_iterator(fs::path(FAULTLINE_SOURCE_DIR) / "workloads" / "scenarios")) {
    if (e.path().extension() == ".yaml") out.push_back(e.path().stem().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class ShippedScenario : public ScenarioE2E, public ::testing::WithParamInterface<std::string> {};

TEST_P(ShippedScenario, PassesAgainstRealZabd) {
  std::string path =
      std::string(FAULTLINE_SOURCE_DIR) + "/workloads/scenarios/" + GetParam() + ".yaml";
  Result<Scenario> s = LoadScenarioFile(path);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ScenarioOutcome out = Run(*s);
  EXPECT_EQ(out.exit_code, 0) << out_.str();
}

INSTANTIATE_TEST_SUITE_P(Workloads, ShippedScenario, ::testing::ValuesIn(ShippedScenarios()),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace faultline::harness::scenario
