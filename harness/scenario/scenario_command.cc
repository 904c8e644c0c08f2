#include "harness/scenario/scenario_command.h"

#include <iostream>
#include <memory>

#include "harness/scenario/runner.h"
#include "harness/scenario/scenario.h"

namespace faultline::harness::scenario {
namespace {

struct Args {
  std::string file;
  int repeat = 1;
  std::string store;    // the global --store
  std::string results;  // the global --results
  std::string zabd;
  std::string system;
};

int Run(const Args& a) {
  Result<Scenario> s = LoadScenarioFile(a.file);
  if (!s.ok()) {
    std::cerr << "error: " << s.status().message() << "\n";
    return 2;
  }
  ScenarioRunOptions o;
  o.zabd_path = a.zabd;  // "" = beside this program (the zabd system's default)
  o.system_kind = a.system;
  o.store_path = a.store;
  o.results_dir = a.results;
  o.out = &std::cout;
  int worst = 0;
  for (int i = 1; i <= a.repeat; ++i) {
    if (a.repeat > 1) std::cout << "=== repetition " << i << " of " << a.repeat << "\n";
    ScenarioOutcome out = RunScenario(*s, o);
    worst = std::max(worst, out.exit_code);
  }
  return worst;
}

}  // namespace

void AddScenarioCommand(CLI::App& app, int* exit_code, const std::string* store,
                        const std::string* results) {
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "scenario",
      "run a scenario file (workloads/scenarios/*.yaml) against a fresh zabd cluster "
      "and explain the outcome");
  cmd->add_option("FILE", args->file, "scenario YAML (docs/scenarios.md)")->required();
  cmd->add_option("--repeat", args->repeat, "run it N times (each a fresh cluster and run row)")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--zabd", args->zabd, "zabd binary (default: beside this program)");
  cmd->add_option("--system", args->system,
                  "run against another system kind (its keys the kind does not take are dropped)");
  cmd->callback([args, exit_code, store, results] {
    args->store = *store;
    args->results = *results;
    *exit_code = Run(*args);  // an exception ends at main's process edge: "error: ...", exit 2
  });
}

}  // namespace faultline::harness::scenario
