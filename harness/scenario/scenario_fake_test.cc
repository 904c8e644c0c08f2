// Scenarios on the fake system (in process, no processes or network): the scenario runs on the
// same scaffold as `faultline run`, its process steps go through the Nemesis and are recorded,
// and steps that only zabd can answer are refused before anything starts.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <sstream>

#include "harness/history/history_store.h"
#include "harness/scenario/runner.h"

namespace faultline::harness::scenario {
namespace {

class FakeScenarioTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string t = (std::filesystem::temp_directory_path() / "scenario_fake.XXXXXX").string();
    dir_ = mkdtemp(t.data());
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  ScenarioOutcome Run(const std::string& text) {
    Result<Scenario> s = ParseScenario(text, "fake.yaml");
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return {};
    ScenarioRunOptions o;
    o.store_path = dir_ + "/h.db";
    o.results_dir = dir_;
    o.out = &out_;
    return RunScenario(*s, o);
  }
  std::string dir_;
  std::ostringstream out_;
};

TEST_F(FakeScenarioTest, AKilledLeaderIsReplacedAndTheAcknowledgedWriteIsKept) {
  ScenarioOutcome out = Run(R"(name: fake-kill
system: {kind: fake}
timeout_ms: 2000
steps:
  - bind: {L: leader}
  - write: {name: w1, key: x, value: "1", node: L}
  - kill: L
  - wait: {until: {leader-epoch-above: start}}
  - wait: agree
  - start: L
  - expect: {op: w1, outcome: kept}
  - expect: acked-kept
)");
  EXPECT_EQ(out.exit_code, 0) << out_.str();
  ASSERT_GT(out.run_id, 0);
  auto store = HistoryStore::Open(dir_ + "/h.db");
  ASSERT_TRUE(store.ok());
  RunRecord run = *(*store)->GetRun(out.run_id);
  EXPECT_EQ(run.system, "fake");
  EXPECT_EQ(run.verdict, "valid");
  // The kill went through the Nemesis and the FaultRecorder: started, and stopped by `start: L`.
  std::vector<FaultRecord> faults = *(*store)->LoadFaults(out.run_id);
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].kind, "kill");
  EXPECT_EQ(faults[0].targets, std::vector<int64_t>{1});
  EXPECT_TRUE(faults[0].stop_ns.has_value());
  // Final reads recorded like any op, and the fake's role events ingested.
  checkers::History h = *(*store)->LoadHistory(out.run_id);
  EXPECT_GE(h.ops.size(), 4u);
  EXPECT_FALSE(h.node_events.empty());
}

TEST_F(FakeScenarioTest, AConditionOnlyZabdCanAnswerIsRefusedNamingTheStepAndTheSystem) {
  ScenarioOutcome out = Run(R"(name: fake-logged
system: {kind: fake}
steps:
  - write: {name: w1, key: x, value: "1", node: leader, wait: false}
  - wait: {until: {node: leader, logged: w1}}
)");
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_EQ(out.run_id, 0);  // refused before anything started
  EXPECT_NE(out.error.find("fake.yaml:5: step 2 (wait): `logged:` needs zabd's event log"),
            std::string::npos)
      << out.error;
  EXPECT_NE(out.error.find("system fake cannot answer it"), std::string::npos) << out.error;
}

TEST_F(FakeScenarioTest, ACutOnASystemWithoutAPeerNetworkIsRefused) {
  ScenarioOutcome out = Run("name: fake-cut\nsystem: {kind: fake}\nsteps:\n  - cut: {from: n1}\n");
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_NE(out.error.find("cannot take network faults"), std::string::npos) << out.error;
}

}  // namespace
}  // namespace faultline::harness::scenario
