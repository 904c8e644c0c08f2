#include "harness/suite/suite_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "harness/history/history_store.h"
#include "harness/history/store_merge.h"
#include "harness/history/suite_records.h"
#include "harness/run/interrupt.h"

namespace faultline::harness::suite {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "suite_runner_test.XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return (fs::path(path_) / name).string(); }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Answers each case by name from a script; records what it was asked to run.
class ScriptedExecutor final : public CaseExecutor {
 public:
  explicit ScriptedExecutor(std::map<std::string, CaseResult> script)
      : script_(std::move(script)) {}
  CaseResult Run(const SuiteCase& c, std::ostream& log) override {
    ran.push_back(c.name);
    log << "ran " << c.name << "\n";
    if (c.name == interrupt_at) RequestInterrupt();
    return script_.at(c.name);
  }
  std::vector<std::string> ran;
  std::string interrupt_at;

 private:
  std::map<std::string, CaseResult> script_;
};

SuiteCase Case(int64_t position, const std::string& name, const std::string& skip = "") {
  SuiteCase c;
  c.position = position;
  c.name = name;
  c.file = name + ".yaml";
  c.system = "fake";
  c.skip_reason = skip;
  return c;
}

SuitePlan PlanOf(std::vector<SuiteCase> cases) {
  SuitePlan p;
  p.name = "unit";
  p.file = "unit.yaml";
  p.cases = std::move(cases);
  return p;
}

TEST(SuiteExitCode, AnAnomalyWinsThenCouldNotRunThenValidSkipsDoNotCount) {
  auto rows = [](std::vector<std::string> outcomes) {
    std::vector<SuiteRow> out;
    for (const auto& o : outcomes) {
      SuiteRow r;
      r.result.outcome = o;
      out.push_back(r);
    }
    return out;
  };
  EXPECT_EQ(SuiteExitCode(rows({"valid", "skipped"})), 0);
  EXPECT_EQ(SuiteExitCode(rows({"valid", "error"})), 2);
  EXPECT_EQ(SuiteExitCode(rows({"unknown", "valid"})), 2);
  EXPECT_EQ(SuiteExitCode(rows({"error", "invalid", "valid"})), 1);
  EXPECT_EQ(SuiteExitCode(rows({"skipped"})), 0);
}

TEST(RunSuite, ContinuesPastFailuresSkipsWhatCannotRunAndRecordsEveryCase) {
  TempDir dir;
  SuitePlan plan = PlanOf({Case(0, "broken"), Case(1, "no-etcd", "system etcd is not installed"),
                           Case(2, "buggy"), Case(3, "fine")});
  ScriptedExecutor exec({{"broken", {kCaseError, std::nullopt, "cluster did not start"}},
                         {"buggy", {kCaseInvalid, std::nullopt, ""}},
                         {"fine", {kCaseValid, std::nullopt, ""}}});
  SuiteRunOptions o;
  o.store_path = dir.File("s.db");
  o.results_dir = dir.File("results");
  o.junit_path = dir.File("extra-junit.xml");
  std::ostringstream out;
  o.out = &out;
  SuiteOutcome r = RunSuite(plan, plan.cases, o, exec);
  EXPECT_EQ(r.exit_code, 1) << out.str();
  EXPECT_THAT(exec.ran, ::testing::ElementsAre("broken", "buggy", "fine"));
  EXPECT_THAT(out.str(), HasSubstr("[2/4] no-etcd: skipped: system etcd is not installed"));
  EXPECT_THAT(out.str(), HasSubstr("4 tests: 1 valid, 1 invalid, 1 error, 1 skipped"));
  EXPECT_THAT(out.str(), HasSubstr("could not run broken: cluster did not start"));
  EXPECT_THAT(ReadFile(r.folder + "/0-broken.log"), HasSubstr("ran broken"));

  auto store = HistoryStore::OpenExisting(o.store_path);
  ASSERT_TRUE(store.ok());
  Result<SuiteRunRecord> sr = GetSuiteRun(**store, r.suite_run_id);
  ASSERT_TRUE(sr.ok());
  EXPECT_EQ(sr->name, "unit");
  EXPECT_EQ(sr->exit_code, 1);
  Result<std::vector<SuiteCaseRecord>> cases = LoadSuiteCases(**store, r.suite_run_id);
  ASSERT_TRUE(cases.ok());
  ASSERT_EQ(cases->size(), 4u);
  EXPECT_EQ((*cases)[1].outcome, "skipped");
  EXPECT_EQ((*cases)[1].reason, "system etcd is not installed");
  EXPECT_EQ((*cases)[0].reason, "cluster did not start");

  const std::string junit = ReadFile(r.junit_path);
  EXPECT_EQ(junit, ReadFile(o.junit_path));
  EXPECT_THAT(junit, HasSubstr("<skipped message=\"system etcd is not installed\"/>"));
  EXPECT_THAT(junit, HasSubstr("<error message=\"cluster did not start\""));
  EXPECT_THAT(ReadFile(r.folder + "/summary.txt"), HasSubstr("no-etcd"));
}

TEST(RunSuite, OnlySkipsIsExitZeroAndCouldNotRunIsTwo) {
  TempDir dir;
  SuiteRunOptions o;
  o.store_path = dir.File("s.db");
  o.results_dir = dir.File("results");
  std::ostringstream out;
  o.out = &out;
  SuitePlan skips = PlanOf({Case(0, "zk", "system zookeeper is not part of this faultline build")});
  ScriptedExecutor none({});
  EXPECT_EQ(RunSuite(skips, skips.cases, o, none).exit_code, 0);
  SuitePlan errs = PlanOf({Case(0, "a"), Case(1, "b")});
  ScriptedExecutor exec(
      {{"a", {kCaseValid, std::nullopt, ""}}, {"b", {kCaseUnknown, std::nullopt, "budget"}}});
  EXPECT_EQ(RunSuite(errs, errs.cases, o, exec).exit_code, 2);
}

TEST(RunSuiteDeathTest, AnInterruptEndsTheCaseInProgressAndStopsTheSuite) {
  // RequestInterrupt latches for the process: run it in a child.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        TempDir dir;
        SuitePlan plan = PlanOf({Case(0, "first"), Case(1, "second"), Case(2, "third")});
        ScriptedExecutor exec({{"first", {kCaseValid, std::nullopt, ""}},
                               {"second", {kCaseUnknown, std::nullopt, "interrupted"}},
                               {"third", {kCaseValid, std::nullopt, ""}}});
        exec.interrupt_at = "second";
        SuiteRunOptions o;
        o.store_path = dir.File("s.db");
        o.results_dir = dir.File("results");
        std::ostringstream out;
        o.out = &out;
        SuiteOutcome r = RunSuite(plan, plan.cases, o, exec);
        bool ok = exec.ran.size() == 2 && r.interrupted &&
                  out.str().find("the remaining tests were not run") != std::string::npos &&
                  out.str().find("1 not run") != std::string::npos;
        std::_Exit(ok ? r.exit_code : 99);
      },
      ::testing::ExitedWithCode(2), "");
}

// A one-second register test on the in-process fake system; `system_extra` goes into its
// system map (", lose_every: 3" plants lost writes), `tail` after the rest (a nemesis).
std::string FakeSpec(const std::string& name, const std::string& system_extra,
                     const std::string& tail = "") {
  return "name: " + name + "\nsystem: {kind: fake, nodes: 3" + system_extra +
         "}\nworkload: {type: register, keys: 2}\nconcurrency: 2\nrate: 100\ntime_limit: 1s\n" +
         tail;
}

// The real executor on the in-process fake system: one valid run and one with a planted lost
// write, each a second long, through ExecuteRun.
TEST(RunSuite, FakeSystemRunsThroughTheRunScaffoldAndGetMetricsAndJUnit) {
  TempDir dir;
  const std::string kill = "nemesis: {kinds: [kill], targets: [leader], interval: 300ms, "
                           "duration: 200ms}\n";
  std::ofstream(dir.File("ok.yaml")) << FakeSpec("ok", "", kill);
  std::ofstream(dir.File("bug.yaml")) << FakeSpec("bug", ", lose_every: 3", kill);
  std::ofstream(dir.File("suite.yaml"))
      << "name: fakes\nseed: 3\ntests:\n  - test: ok.yaml\n  - test: bug.yaml\n";
  Result<SuitePlan> plan = LoadSuitePlan(dir.File("suite.yaml"), {});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ExecutorOptions eo;
  eo.store_path = dir.File("s.db");
  eo.results_dir = dir.File("results");
  auto exec = MakeScaffoldExecutor(eo);
  SuiteRunOptions o;
  o.store_path = eo.store_path;
  o.results_dir = eo.results_dir;
  std::ostringstream out;
  o.out = &out;
  SuiteOutcome r = RunSuite(*plan, plan->cases, o, *exec);
  ASSERT_EQ(r.rows.size(), 2u) << out.str();
  EXPECT_EQ(r.exit_code, 1) << out.str();
  EXPECT_EQ(r.rows[0].result.outcome, "valid") << out.str();
  EXPECT_EQ(r.rows[1].result.outcome, "invalid") << out.str();
  EXPECT_GT(r.rows[1].anomalies, 0);
  for (const SuiteRow& row : r.rows) {
    ASSERT_TRUE(row.result.run_id) << out.str();
    ASSERT_TRUE(row.metrics);
    EXPECT_GT(row.metrics->ok, 0);
    EXPECT_EQ(row.c.seed, plan->cases[row.c.position].seed);
  }
  auto store = HistoryStore::OpenExisting(o.store_path);
  ASSERT_TRUE(store.ok());
  Result<RunRecord> run = (*store)->GetRun(*r.rows[1].result.run_id);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->suite, "bug-3n-fake") << "runs are recorded under the case's name";
  EXPECT_EQ(run->seed, plan->cases[1].seed);
  const std::string junit = ReadFile(r.junit_path);
  EXPECT_THAT(junit, HasSubstr("testsuite name=\"bug-3n-fake (run"));
  EXPECT_THAT(junit, HasSubstr("<failure"));
  EXPECT_THAT(out.str(), HasSubstr("bug-3n-fake"));
}

// `faultline suite --shard I/N` on several machines, then `faultline merge`: the merged store
// holds each shard's suite run; MergedSuiteJUnit writes one JUnit for them together, the cases in
// suite order whichever shard ran them, each run under its id in the merged store.
TEST(MergedSuiteJUnit, TheShardsOfASuiteMergeIntoOneJUnitInSuiteOrder) {
  TempDir dir;
  std::ofstream(dir.File("ok.yaml")) << FakeSpec("ok", "");
  std::ofstream(dir.File("bug.yaml")) << FakeSpec("bug", ", lose_every: 3");
  std::ofstream(dir.File("third.yaml")) << FakeSpec("third", "");
  std::ofstream(dir.File("suite.yaml")) << "name: fakes\nseed: 3\ntests:\n  - test: ok.yaml\n"
                                           "  - test: bug.yaml\n  - test: third.yaml\n";
  Result<SuitePlan> plan = LoadSuitePlan(dir.File("suite.yaml"), {});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->cases.size(), 3u);
  // Shard "1/2" runs position 1 (bug) and a scripted could-not-run for position 2; shard "2/2"
  // position 0 (ok). Each has its own store and results folder, as on two CI machines.
  auto shard = [&](const std::string& name, std::vector<SuiteCase> cases) {
    ExecutorOptions eo;
    eo.store_path = dir.File(name + "/faultline.db");
    eo.results_dir = dir.File(name);
    fs::create_directories(eo.results_dir);
    auto scaffold = MakeScaffoldExecutor(eo);
    struct Mixed final : CaseExecutor {
      CaseExecutor* real;
      CaseResult Run(const SuiteCase& c, std::ostream& log) override {
        if (c.position == 2) return {kCaseError, std::nullopt, "its cluster did not start"};
        return real->Run(c, log);
      }
    } exec;
    exec.real = scaffold.get();
    SuiteRunOptions o;
    o.store_path = eo.store_path;
    o.results_dir = eo.results_dir;
    std::ostringstream out;
    o.out = &out;
    SuiteOutcome r = RunSuite(*plan, cases, o, exec);
    EXPECT_NE(r.suite_run_id, 0) << out.str();
    return eo.results_dir;
  };
  const std::string one = shard("shard-1", {plan->cases[1], plan->cases[2]});
  const std::string two = shard("shard-2", {plan->cases[0]});
  MergeOptions mo;
  mo.target_store = dir.File("merged/faultline.db");
  mo.results_dir = dir.File("merged");
  std::vector<int64_t> suite_runs;
  for (const std::string& source : {one, two}) {
    Result<MergeResult> m = MergeStore(source, mo);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    ASSERT_EQ(m->suite_run_ids.size(), 1u);
    suite_runs.push_back(m->suite_run_ids.begin()->second);
  }
  Result<std::string> xml = MergedSuiteJUnit(mo.target_store, suite_runs);
  ASSERT_TRUE(xml.ok()) << xml.status().ToString();
  // Merged in shard order: bug became run 1, ok run 2; the JUnit lists them in suite order.
  const size_t ok = xml->find("testsuite name=\"ok-3n-fake (run 2)\"");
  const size_t bug = xml->find("testsuite name=\"bug-3n-fake (run 1)\"");
  const size_t third = xml->find("its cluster did not start");
  ASSERT_NE(ok, std::string::npos) << *xml;
  ASSERT_NE(bug, std::string::npos) << *xml;
  ASSERT_NE(third, std::string::npos) << *xml;
  EXPECT_LT(ok, bug);
  EXPECT_LT(bug, third);
  EXPECT_THAT(*xml, HasSubstr("<testsuites name=\"fakes\""));
  EXPECT_THAT(*xml, HasSubstr("<failure"));  // the bug run's anomaly, read from the merged store
  EXPECT_THAT(*xml, HasSubstr("name=\"ok_per_s\""));  // stored metrics came along
  EXPECT_EQ(MergedSuiteJUnit(mo.target_store, {99}).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace faultline::harness::suite
