#include "harness/matrix/matrix_command.h"

#include <iostream>
#include <memory>
#include <sstream>

#include "harness/matrix/matrix.h"
#include "harness/spec/test_spec.h"

namespace faultline::harness {
namespace {

struct Args {
  std::string file;
  int seeds = 0;  // 0 = the file's
  std::string time_limit;
  std::string only;
  std::string store;    // the global --store
  std::string results;  // the global --results
  std::string zabd;
};

int Run(const Args& a) {
  Result<MatrixSpec> spec = LoadMatrixSpec(a.file);
  if (!spec.ok()) {
    std::cerr << "error: " << spec.status().message() << "\n";
    return 2;
  }
  if (a.seeds > 0) spec->seeds = spec->correct_seeds = a.seeds;
  if (!a.time_limit.empty()) {
    Result<int64_t> t = ParseDurationMs(a.time_limit);
    if (!t.ok() || *t <= 0) {
      std::cerr << "error: --time-limit: "
                << (t.ok() ? "expected a duration such as 20s, got '" + a.time_limit + "'"
                           : std::string(t.status().message()))
                << "\n";
      return 2;
    }
    spec->time_limit_ms = *t;
    // The command line is for every suite: it replaces the file's per-point limits too.
    spec->correct_time_limit_ms.reset();
    for (MatrixPoint& p : spec->points) p.time_limit_ms.reset();
  }
  MatrixOptions o;
  o.spec = *spec;
  o.store_path = a.store;
  o.results_dir = a.results;
  o.zabd_path = a.zabd;
  std::stringstream only(a.only);
  for (std::string name; std::getline(only, name, ',');) {
    if (name.empty()) continue;
    bool known = name == "correct";
    for (const MatrixPoint& p : spec->points) known |= p.fault == name;
    if (!known) {
      std::cerr << "error: --only: '" << name << "' is not a fault point of " << a.file
                << " (nor 'correct')\n";
      return 2;
    }
    o.only.push_back(name);
  }
  o.out = &std::cout;
  return RunMatrix(o).exit_code;
}

}  // namespace

void AddMatrixCommand(CLI::App& app, int* exit_code, const std::string* store,
                      const std::string* results) {
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "matrix",
      "detection matrix: run every fault point's suites and scenarios, and the correct server; "
      "print and store the table (workloads/detection.yaml)");
  cmd->add_option("FILE", args->file, "matrix YAML (e.g. workloads/detection.yaml)")->required();
  cmd->add_option("--seeds", args->seeds, "seeds per suite (overrides the file)")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--time-limit", args->time_limit, "every suite's time limit, e.g. 20s");
  cmd->add_option("--only", args->only, "comma-separated fault points (and/or 'correct')");
  cmd->add_option("--zabd", args->zabd, "zabd binary (default: beside this program)");
  cmd->callback([args, exit_code, store, results] {
    args->store = *store;
    args->results = *results;
    *exit_code = Run(*args);  // an exception ends at main's process edge: "error: ...", exit 2
  });
}

}  // namespace faultline::harness
