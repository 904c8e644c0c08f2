#include "harness/suite/suite_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <iostream>
#include <memory>

#include "harness/scenario/scenario.h"
#include "harness/spec/number_options.h"
#include "harness/suite/suite_plan.h"
#include "harness/suite/suite_runner.h"

namespace faultline::harness::suite {
namespace {

struct Args {
  std::string file;
  std::optional<int> test_count;
  std::optional<uint64_t> seed;
  std::string shard;
  std::string junit;
  std::string label;
  bool verbose = false;
  bool list = false;
};

// The scenario's system: parsing it validates the file before anything runs.
Result<std::string> ScenarioSystem(const std::string& path) {
  Result<scenario::Scenario> s = scenario::LoadScenarioFile(path);
  if (!s.ok()) return s.status();
  // A scenario without a `system:` section describes a zabd cluster (harness/scenario).
  return s->has_system_section ? s->system.kind : std::string("zabd");
}

void PrintPlan(const SuitePlan& plan, const std::vector<SuiteCase>& cases, std::ostream& out) {
  out << fmt::format("suite {} ({}): {} test{}\n", plan.name, plan.file, cases.size(),
                     cases.size() == 1 ? "" : "s");
  for (const SuiteCase& c : cases) {
    out << fmt::format("{:>4}  {:<40} {:<8} {:<10} {:>16}  {}{}\n", c.position, c.name,
                       CaseKindName(c.kind), c.system, c.seed ? std::to_string(c.seed) : "-",
                       c.file, c.skip_reason.empty() ? "" : "  (skipped: " + c.skip_reason + ")");
  }
}

void PrintCutSchedules(const std::vector<SuiteCase>& cases, std::ostream& out) {
  for (const std::string& note : CutScheduleNotes(cases)) out << "note: " << note << "\n";
}

int Run(const Args& a, const std::string& store, const std::string& results) {
  PlanOptions po;
  po.test_count = a.test_count;
  po.seed = a.seed;
  po.installed = ProbeInstalled;
  po.scenario_system = ScenarioSystem;
  Result<SuitePlan> plan = LoadSuitePlan(a.file, po);
  if (!plan.ok()) {
    std::cerr << "error: " << plan.status().message() << "\n";
    return 2;
  }
  std::optional<Shard> shard;
  if (!a.shard.empty()) {
    Result<Shard> s = ParseShard(a.shard);
    if (!s.ok()) {
      std::cerr << "error: " << s.status().message() << "\n";
      return 2;
    }
    shard = *s;
  }
  std::vector<SuiteCase> cases = shard ? ShardCases(*plan, *shard) : plan->cases;
  if (a.list) {
    PrintPlan(*plan, cases, std::cout);
    PrintCutSchedules(cases, std::cout);
    return 0;
  }
  PrintCutSchedules(cases, std::cout);
  ExecutorOptions eo;
  eo.store_path = store;
  eo.results_dir = results;
  eo.tty = isatty(STDOUT_FILENO) == 1;
  std::unique_ptr<CaseExecutor> executor = MakeScaffoldExecutor(eo);
  SuiteRunOptions so;
  so.store_path = store;
  so.results_dir = results;
  so.label = a.label;
  so.shard = shard;
  so.junit_path = a.junit;
  so.out = &std::cout;
  so.verbose = a.verbose;
  return RunSuite(*plan, cases, so, *executor).exit_code;
}

}  // namespace

void AddSuiteCommand(CLI::App& app, int* exit_code, const std::string* store_path,
                     const std::string* results_dir) {
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "suite",
      "run a suite file: a list or matrix of tests (e.g. workloads/nightly-suite.yaml), one after "
      "another; a table and one JUnit file at the end. Exit 0 all valid, 1 an anomaly, 2 a test "
      "could not run");
  cmd->add_option("FILE", args->file, "suite YAML (docs/suites.md)")->required();
  cmd->add_option("--test-count", args->test_count, "run each test N times (replaces test_count)")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--seed", args->seed,
                  "base seed: every test's seed is derived from it and the test's name")
      ->check(SeedValidator());
  cmd->add_option("--shard", args->shard,
                  "run only share I of N (1-based, e.g. 2/4): test k goes to shard k mod N + 1");
  cmd->add_option("--junit", args->junit, "also write the suite's JUnit XML here");
  cmd->add_option("--label", args->label,
                  "label stored with the suite run (e.g. a CI pipeline id shared by its shards)");
  cmd->add_flag("--verbose", args->verbose, "print each run's own output instead of a log file");
  cmd->add_flag("--list", args->list, "print the tests the suite would run, run nothing");
  cmd->callback([args, exit_code, store_path, results_dir] {
    *exit_code = Run(*args, *store_path, *results_dir);
  });
}

}  // namespace faultline::harness::suite
