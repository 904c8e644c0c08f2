// The detection matrix without running anything: the file's errors, how a run is judged from its
// stored checks, the table and the pass rule. (tests/e2e/matrix runs a short matrix for real.)
#include "harness/matrix/matrix.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "harness/spec/test_spec.h"
#include "server/core/fault_points.h"

namespace faultline::harness {
namespace {

namespace fs = std::filesystem;

class MatrixSpecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("matrix-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "suites");
    std::ofstream(dir_ / "suites" / "a.yaml") << "name: a\n";
    std::ofstream(dir_ / "s.yaml") << "name: s\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  Result<MatrixSpec> Parse(const std::string& text) {
    return ParseMatrixSpec(text, "m.yaml", dir_.string());
  }
  fs::path dir_;
};

// Found trying `first_seed:` twice in a matrix file.
TEST_F(MatrixSpecTest, ARepeatedKeyIsAnErrorNamingBothLines) {
  auto m = Parse("seeds: 2\nfirst_seed: 1\nfirst_seed: 2\npoints: []\n");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(), "m.yaml:3: first_seed: repeated key (first on line 2)");
}

TEST_F(MatrixSpecTest, AGoodFileParsesWithDefaults) {
  auto m = Parse(
      "points:\n"
      "  - {fault: commit-without-quorum, suites: [suites/a.yaml]}\n"
      "  - {fault: zk-4643, scenarios: [s.yaml]}\n"
      "correct: {suites: [suites/a.yaml], seeds: 2}\n"
      "time_limit: 20s\n");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_FALSE(m->points[0].time_limit_ms);
  EXPECT_FALSE(m->correct_time_limit_ms);
  auto limits = Parse(
      "points:\n"
      "  - {fault: commit-without-quorum, suites: [suites/a.yaml], time_limit: 4s}\n"
      "correct: {suites: [suites/a.yaml], time_limit: 6s}\n");
  ASSERT_TRUE(limits.ok()) << limits.status().ToString();
  EXPECT_EQ(*limits->points[0].time_limit_ms, 4000);
  EXPECT_EQ(*limits->correct_time_limit_ms, 6000);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->name, "m");
  EXPECT_EQ(m->seeds, 5);
  EXPECT_EQ(m->correct_seeds, 2);
  EXPECT_EQ(*m->time_limit_ms, 20000);
  ASSERT_EQ(m->points.size(), 2u);
  EXPECT_EQ(m->points[1].scenarios, std::vector<std::string>{"s.yaml"});
}

TEST_F(MatrixSpecTest, ErrorsNameTheLineAndTheKey) {
  struct Case {
    std::string text, want;
  };
  for (const Case& c : std::vector<Case>{
           {"points:\n  - {fault: zk-9999, suites: [suites/a.yaml]}\n",
            "m.yaml:2: points[0].fault: unknown fault point 'zk-9999'"},
           {"points:\n  - {fault: zk-1154, suites: [suites/nope.yaml]}\n",
            "m.yaml:2: points[0].suites[0]: no such file 'suites/nope.yaml'"},
           {"points:\n  - {fault: zk-1154}\n", "points[0]: needs at least one suite or scenario"},
           {"points:\n  - {fault: zk-1154, suites: [suites/a.yaml]}\n"
            "  - {fault: zk-1154, suites: [suites/a.yaml]}\n",
            "m.yaml:3: points[1].fault: 'zk-1154' is listed twice"},
           {"seeds: 0\npoints: []\n", "m.yaml:1: seeds: expected an integer in [1, 1000]"},
           {"sedes: 3\n", "m.yaml:1: sedes: unknown key"},
           {"points:\n  - {fault: zk-1154, suites: [suites/a.yaml], time_limit: soon}\n",
            "m.yaml:2: points[0].time_limit: bad duration 'soon'"},
           {"points:\n  - {fault: zk-1154, suites: [suites/a.yaml], time_limit: 9e18ms}\n",
            "m.yaml:2: points[0].time_limit: duration '9e18ms' is out of range"},
           {"correct: {suites: [suites/a.yaml], time_limit: -1s}\npoints: []\n",
            "m.yaml:1: correct.time_limit: bad duration '-1s'"},
           {"name: x\n", "points: expected a non-empty list"},
           {"points: [\n", "not valid YAML"},
       }) {
    auto m = Parse(c.text);
    ASSERT_FALSE(m.ok()) << c.text;
    EXPECT_NE(m.status().message().find(c.want), std::string::npos) << m.status().message();
  }
}

TEST(MatrixSpecShipped, TheShippedMatricesParseTheirSuitesParseAndTheFullOneCoversEveryPoint) {
  const std::string dir = std::string(FAULTLINE_SOURCE_DIR) + "/workloads";
  for (const char* file : {"detection.yaml", "detection-ci.yaml"}) {
    SCOPED_TRACE(file);
    auto m = LoadMatrixSpec(dir + "/" + file);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    std::vector<std::string> suites = m->correct_suites;
    for (const MatrixPoint& p : m->points)
      suites.insert(suites.end(), p.suites.begin(), p.suites.end());
    for (const std::string& s : suites) {
      auto spec = LoadTestSpec(dir + "/" + s);
      EXPECT_TRUE(spec.ok()) << s << ": " << spec.status().ToString();
    }
  }
  auto full = LoadMatrixSpec(dir + "/detection.yaml");
  ASSERT_TRUE(full.ok());
  std::set<std::string> covered;
  for (const MatrixPoint& p : full->points) covered.insert(p.fault);
  for (const zab::FaultPointInfo& f : zab::FaultPointCatalog()) {
    EXPECT_EQ(covered.count(f.name), 1u) << f.name << " is not in workloads/detection.yaml";
  }
}

TEST(MatrixJudge, AnInvalidCheckIsADetectionTimedFromTheFirstOpToItsEarliestWitnessedAnomaly) {
  const int64_t t0 = 1'000'000'000'000;
  std::vector<StoredCheck> checks = {
      {"linearizability", "valid", {}},
      {"lost-writes",
       "invalid",
       {{"acknowledged write x=3 lost", t0 + 9'000'000'000, {}, false},
        {"acknowledged write y=1 lost", 0, {t0 + 4'000'000'000, t0 + 5'000'000'000}, false}}},
      {"session-order", "invalid", {{"stale read (observation)", t0 + 1'000'000, {}, true}}},
  };
  MatrixRun r;
  JudgeRun(checks, t0, &r);
  EXPECT_TRUE(r.detected);
  EXPECT_EQ(r.fired, (std::vector<std::string>{"lost-writes", "session-order"}));
  ASSERT_TRUE(r.detect_ms.has_value());
  EXPECT_EQ(*r.detect_ms, 5000);  // the op-placed anomaly's latest op; observations never count
  EXPECT_EQ(r.summary, "lost-writes: acknowledged write y=1 lost");
}

TEST(MatrixJudge, AnAnomalyIsTimedWhenItWasWitnessedNotWhenItsRangeStarts) {
  // A write invoked at +1 s and shown lost by a read at +20 s is detected at +20 s.
  const int64_t t0 = 1'000'000'000'000;
  MatrixRun r;
  JudgeRun(
      {{"linearizability",
        "invalid",
        {{"read cannot be explained", t0 + 1'000'000'000, {}, false, t0 + 20'000'000'000}}},
       {"zab-invariants",
        "invalid",
        {{"truncated a committed zxid", t0 + 30'000'000'000, {}, false, t0 + 30'000'000'000}}}},
      t0, &r);
  ASSERT_TRUE(r.detect_ms.has_value());
  EXPECT_EQ(*r.detect_ms, 20000);
  EXPECT_EQ(r.summary, "linearizability: read cannot be explained");
}

TEST(MatrixJudge, ValidAndUnknownChecksAreNoDetection) {
  MatrixRun r;
  JudgeRun({{"linearizability", "unknown", {}}, {"lost-writes", "valid", {}}}, 1, &r);
  EXPECT_FALSE(r.detected);
  EXPECT_TRUE(r.fired.empty());
  EXPECT_FALSE(r.detect_ms.has_value());
}

MatrixRun MkRun(std::string fault, bool detected, int64_t id, std::optional<int64_t> ms = {},
                bool scenario = false) {
  MatrixRun r;
  r.fault = std::move(fault);
  r.detected = detected;
  r.run_id = id;
  r.detect_ms = ms;
  r.scenario = scenario;
  r.verdict = detected ? "invalid" : "valid";
  if (detected) r.fired = {"lost-writes"}, r.summary = "lost-writes: x lost";
  return r;
}

TEST(MatrixTable, RowsCountDetectionsTakeTheMedianAndLinkEveryReport) {
  MatrixSpec m;
  m.points = {{"commit-without-quorum", {"a.yaml"}, {}, 1}, {"zk-4643", {"a.yaml"}, {"s.yaml"}, 2}};
  std::vector<MatrixRun> runs = {
      MkRun("commit-without-quorum", true, 1, 3000),
      MkRun("commit-without-quorum", true, 2, 9000),
      MkRun("commit-without-quorum", false, 3),
      MkRun("commit-without-quorum", true, 4, 5000),
      MkRun("zk-4643", false, 5),
      MkRun("zk-4643", true, 6, {}, true),
      MkRun("", false, 7),
      MkRun("", true, 8, 100),
  };
  std::string t = FormatMatrixTable(m, runs, "results");
  EXPECT_NE(t.find("| commit-without-quorum | 3 of 4 | 5.0 s | lost-writes | lost-writes: x lost "
                   "| - | [1!](results/runs/1/report.html) [2!](results/runs/2/report.html) "
                   "[3](results/runs/3/report.html) [4!](results/runs/4/report.html) |"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("| zk-4643 | 0 of 1 (caught only by a scenario) | - | - | - | 1 of 1 |"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("| (no fault point) | 2 | 1 | 0 |"), std::string::npos) << t;
  EXPECT_FALSE(MatrixPassed(m, runs));  // run 8 is a false alarm
  // A run whose folder the store recorded elsewhere (runs/<id>-2: another store sharing the
  // results folder had runs/<id>) is linked there, not at runs/<id>.
  runs[0].folder = "results/runs/1-2";
  EXPECT_NE(FormatMatrixTable(m, runs, "results").find("[1!](results/runs/1-2/report.html) [2!]"),
            std::string::npos);
  runs.pop_back();
  EXPECT_TRUE(MatrixPassed(m, runs));
  runs.erase(runs.begin() + 5);  // zk-4643 now undetected
  EXPECT_FALSE(MatrixPassed(m, runs));
}

}  // namespace
}  // namespace faultline::harness
