#include "harness/suite/suite_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

namespace faultline::harness::suite {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// A temp folder with two test files (fake system) and whatever suite a test writes.
class SuitePlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "suite_plan_test.XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    Write("a.yaml",
          "name: a\nsystem: {kind: fake, nodes: 3}\nworkload: {type: register, keys: 2}\n"
          "time_limit: 1s\nnemesis: {kinds: [kill], interval: 300ms, duration: 200ms}\n");
    Write("b.yaml",
          "name: b\nsystem: {kind: zabd, nodes: 3, tick_time_ms: 50}\n"
          "workload: {type: register}\ntime_limit: 2s\nseed: 99\n");
    Write("s.yaml", "name: q\nquestion: q?\nanswer: a\nsteps: []\n");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(fs::path(dir_) / name) << text;
  }
  Result<SuitePlan> Plan(const std::string& text, PlanOptions o = {}) {
    Write("suite.yaml", text);
    return LoadSuitePlan((fs::path(dir_) / "suite.yaml").string(), o);
  }
  std::vector<std::string> Names(const SuitePlan& p) {
    std::vector<std::string> out;
    for (const auto& c : p.cases) out.push_back(c.name);
    return out;
  }
  std::string dir_;
};

TEST_F(SuitePlanTest, AMatrixIsEveryCombinationInOrderWithNamesThatSayWhich) {
  Result<SuitePlan> p = Plan(
      "name: nightly\nmatrix:\n  tests: [a.yaml]\n  nodes: [3, 5]\n  nemeses: [kill, "
      "\"kill,pause\"]\n");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->name, "nightly");
  EXPECT_THAT(Names(*p), ::testing::ElementsAre("a-kill-3n-fake", "a-kill-5n-fake",
                                                "a-kill+pause-3n-fake", "a-kill+pause-5n-fake"));
  for (size_t i = 0; i < p->cases.size(); ++i) {
    const SuiteCase& c = p->cases[i];
    EXPECT_EQ(c.position, static_cast<int64_t>(i));
    EXPECT_EQ(c.spec.name, c.name) << "the run is recorded under the case's name";
    EXPECT_TRUE(c.skip_reason.empty());
  }
  EXPECT_EQ(p->cases[1].spec.system.nodes, 5);
  EXPECT_EQ(p->cases[2].nemesis, "kill,pause");
}

// Found by a hostile try: a suite entry's time_limit shorter than its test's schedule ran the
// faults before it and dropped the rest without a word. `faultline suite` now prints this.
TEST_F(SuitePlanTest, ATimeLimitThatCutsATestsScheduleIsNamedWithTheFaultsThatWillNotRun) {
  Write("c.yaml",
        "name: c\nsystem: {kind: fake, nodes: 3}\nworkload: {type: register}\ntime_limit: 5s\n"
        "nemesis:\n  schedule:\n    - {at: 1s, kind: kill, duration: 1s}\n"
        "    - {at: 3s, kind: pause, duration: 1s}\n");
  Result<SuitePlan> p =
      Plan("tests:\n  - test: c.yaml\n  - test: c.yaml\n    name: short\n    time_limit: 2s\n");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_THAT(CutScheduleNotes(p->cases),
              ::testing::ElementsAre(
                  "short: 1 scheduled fault starts at or after the time limit (2000 ms) and will "
                  "not run: nemesis.schedule[1] (line 8: pause at 3000 ms)"));
}

TEST_F(SuitePlanTest, ListEntriesTakeOverridesDefaultsAndScenarios) {
  Result<SuitePlan> p = Plan(
      "defaults: {time_limit: 3s}\ntests:\n  - test: a.yaml\n    nodes: 5\n  - test: a.yaml\n"
      "    name: short\n    time_limit: 500ms\n  - scenario: s.yaml\n");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->cases.size(), 3u);
  EXPECT_EQ(p->cases[0].name, "a-5n-fake");
  EXPECT_EQ(p->cases[0].spec.time_limit_ms, 3000) << "defaults apply";
  EXPECT_EQ(p->cases[1].name, "short");
  EXPECT_EQ(p->cases[1].spec.time_limit_ms, 500) << "the entry wins over the defaults";
  EXPECT_EQ(p->cases[2].kind, CaseKind::kScenario);
  EXPECT_EQ(p->cases[2].name, "scenario-s");
  EXPECT_EQ(p->cases[2].system, "zabd");
}

TEST_F(SuitePlanTest, TestCountRepeatsEveryCaseRoundByRoundAndTheFlagWins) {
  Result<SuitePlan> p = Plan("test_count: 2\ntests:\n  - test: a.yaml\n  - test: b.yaml\n");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_THAT(Names(*p),
              ::testing::ElementsAre("a-3n-fake#1", "b-3n-zabd#1", "a-3n-fake#2", "b-3n-zabd#2"));
  // Repetitions are recorded under one suite name, so trends and flakiness see them together.
  EXPECT_EQ(p->cases[0].spec.name, "a-3n-fake");
  EXPECT_EQ(p->cases[2].spec.name, "a-3n-fake");
  PlanOptions o;
  o.test_count = 3;
  Result<SuitePlan> q = Plan("tests:\n  - test: a.yaml\n    count: 5\n", o);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->cases.size(), 3u) << "--test-count replaces every count";
}

TEST_F(SuitePlanTest, ASuiteSeedDerivesDistinctStableSeedsAndAnEntrySeedWins) {
  const std::string text =
      "seed: 7\ntest_count: 2\ntests:\n  - test: a.yaml\n  - test: b.yaml\n    seed: 5\n";
  Result<SuitePlan> p = Plan(text), again = Plan(text);
  ASSERT_TRUE(p.ok() && again.ok());
  std::set<uint64_t> seeds;
  for (size_t i = 0; i < p->cases.size(); ++i) {
    EXPECT_EQ(p->cases[i].seed, again->cases[i].seed) << "same suite, same seeds";
    EXPECT_EQ(p->cases[i].spec.seed, p->cases[i].seed);
    if (p->cases[i].name.rfind("a-", 0) == 0) seeds.insert(p->cases[i].seed);
  }
  EXPECT_EQ(seeds.size(), 2u) << "repetitions get their own seeds";
  EXPECT_EQ(p->cases[1].seed, 5u);
  // Without a suite seed a test keeps its own (b.yaml says 99; a.yaml none: chosen at run time).
  Result<SuitePlan> own = Plan("tests:\n  - test: a.yaml\n  - test: b.yaml\n");
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(own->cases[0].seed, 0u);
  EXPECT_EQ(own->cases[1].seed, 99u);
}

TEST_F(SuitePlanTest, SystemsThisBuildLacksOrThatAreNotInstalledAreSkippedWithAReason) {
  PlanOptions o;
  o.installed = [](const TestSpec& spec) -> Status {
    if (spec.system.kind == "zabd") return Status::NotFound("zabd binary 'x' is not executable");
    return Status::Ok();
  };
  Result<SuitePlan> p = Plan(
      "matrix:\n  tests: [a.yaml]\n  systems: [fake, zookeeper]\ntests:\n  - test: b.yaml\n", o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->cases.size(), 3u);
  EXPECT_EQ(p->cases[0].skip_reason, "");
  const bool zk_registered = p->cases[1].skip_reason.empty();
  if (!zk_registered) {
    EXPECT_THAT(p->cases[1].skip_reason,
                HasSubstr("zookeeper is not part of this faultline build"));
  }
  EXPECT_THAT(p->cases[2].skip_reason, HasSubstr("not executable"));
}

TEST_F(SuitePlanTest, ErrorsNameTheSuiteFileLineAndKey) {
  struct Case {
    std::string text, want;
  };
  std::vector<Case> cases = {
      {"tests:\n  - test: a.yaml\n    nodse: 5\n", "suite.yaml:3: tests[0].nodse: unknown key"},
      {"matrix:\n  tests: [a.yaml]\n  nodes:\n    - 3\n    - 4\n",
       "suite.yaml:5: matrix.tests[0].nodes: must be 3 or 5"},
      {"tests:\n  - test: a.yaml\n    system: etdc\n",
       "suite.yaml:3: tests[0].system: unknown system 'etdc'"},
      {"tests:\n  - test: missing.yaml\n", "suite.yaml:2: tests[0].test: cannot read test file"},
      {"tests:\n  - test: a.yaml\n    nemesis: [kill, kil]\n", "suite.yaml:3: tests[0].nemesis:"},
      {"tests:\n  - test: a.yaml\n  - test: a.yaml\n",
       "suite.yaml:3: tests[1]: test name 'a-3n-fake' is already used at line 2"},
      {"tests:\n  - scenario: s.yaml\n    nodes: 5\n", "suite.yaml:3: tests[0].nodes: a scenario"},
      {"tests:\n  - name: x\n", "suite.yaml:2: tests[0]: give exactly one of"},
      {"name: x\n", "no tests"},
      {"tests: [\n", "suite.yaml:2:"},
      {"tets: []\n", "suite.yaml:1: tets: unknown key"},
      // Found trying `test_count:` twice in a suite: the second won (the loop over pairs).
      {"test_count: 1\ntest_count: 2\ntests:\n  - test: a.yaml\n",
       "suite.yaml:2: test_count: repeated key (first on line 1)"},
      {"tests:\n  - {test: a.yaml, nodes: 3, nodes: 5}\n",
       "suite.yaml:2: tests[0].nodes: repeated key (first on line 2)"},
  };
  for (const Case& c : cases) {
    Result<SuitePlan> p = Plan(c.text);
    ASSERT_FALSE(p.ok()) << c.text;
    EXPECT_THAT(p.status().message(), HasSubstr(c.want)) << c.text;
  }
  // An error inside a test file names that file's line.
  Write("bad.yaml", "name: bad\nsystem: {kind: fake}\nconcurrency: many\n");
  Result<SuitePlan> p = Plan("tests:\n  - test: bad.yaml\n");
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("bad.yaml:3"));
}

TEST_F(SuitePlanTest, ShardsAreDisjointCoverTheSuiteAndKeepPositions) {
  Result<SuitePlan> p = Plan(
      "seed: 1\nmatrix:\n  tests: [a.yaml]\n  nodes: [3, 5]\n  nemeses: [kill, pause, none]\n");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->cases.size(), 6u);
  std::set<int64_t> seen;
  for (int i = 1; i <= 4; ++i) {
    for (const SuiteCase& c : ShardCases(*p, Shard{i, 4})) {
      EXPECT_TRUE(seen.insert(c.position).second) << "case in two shards";
      EXPECT_EQ(c.position % 4, i - 1);
      EXPECT_EQ(c.name, p->cases[c.position].name);
      EXPECT_EQ(c.seed, p->cases[c.position].seed);
    }
  }
  EXPECT_EQ(seen.size(), 6u);
  EXPECT_TRUE(ShardCases(*p, Shard{1, 1}).size() == 6u);
}

TEST(ParseShard, AcceptsIOfNAndExplainsEverythingElse) {
  Result<Shard> s = ParseShard("2/4");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->index, 2);
  EXPECT_EQ(s->count, 4);
  for (const char* bad : {"0/4", "5/4", "2", "a/b", "2/0", "/4", "2/", "1/1001"}) {
    EXPECT_FALSE(ParseShard(bad).ok()) << bad;
  }
  EXPECT_THAT(ParseShard("0/4").status().message(), HasSubstr("numbered from 1"));
}

}  // namespace
}  // namespace faultline::harness::suite

namespace faultline::harness::suite {
namespace {

TEST(ShippedNightlySuite, ExpandsWithUniqueNamesSeedsFromTheSuiteSeedAndEveryFileFound) {
  Result<SuitePlan> p =
      LoadSuitePlan(std::string(FAULTLINE_SOURCE_DIR) + "/workloads/nightly-suite.yaml", {});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->name, "nightly");
  ASSERT_GE(p->cases.size(), 30u);
  std::set<std::string> names, systems;
  bool scenario = false;
  for (const SuiteCase& c : p->cases) {
    EXPECT_TRUE(names.insert(c.name).second) << c.name;
    systems.insert(c.system);
    scenario |= c.kind == CaseKind::kScenario;
    if (c.kind == CaseKind::kTest) {
      EXPECT_NE(c.seed, 0u) << c.name;
    }
  }
  EXPECT_EQ(systems, (std::set<std::string>{"zabd", "zookeeper", "etcd"}));
  EXPECT_TRUE(scenario);
  // Four shards cover it exactly.
  size_t covered = 0;
  for (int i = 1; i <= 4; ++i) covered += ShardCases(*p, Shard{i, 4}).size();
  EXPECT_EQ(covered, p->cases.size());
}

}  // namespace
}  // namespace faultline::harness::suite
