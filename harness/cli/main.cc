// faultline: the chaos controller's command line (process edge: exceptions end here).
//
//   faultline run SUITE.yaml [--system zabd|fake|...] [--read-mode M] [--time-limit D] [--seed N]
//                            [--nodes 3|5] [--concurrency C] [--nemesis kill,pause|none]
//                            [--net auto|iptables|proxy|none]
//   faultline runs [filters] [--json]   recorded runs, newest first (also anomalies, trends)
//   faultline show RUN                  one run's summary
//   faultline replay RUN [--repeat N]   rerun RUN's seed, op stream and realized fault schedule
//   faultline shrink RUN                minimal fault schedule reproducing RUN's anomaly
//   faultline sim SUITE --seeds A..B    the suite on a simulated zabd cluster
//   faultline check ...                 judge histories (files, or --format run RUN)
// Global: --store FILE (default results/faultline.db), --results DIR (default results).
// Exit codes: run/replay 0 valid, 1 anomaly, 2 unknown or could not run; others 0 ok, 2 error.
#include <limits.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <filesystem>
#include <iostream>

#include "checkers/cli/check_command.h"
#include "harness/convert/convert_command.h"
#include "harness/history/history_store.h"
#include "harness/history/run_loader.h"
#include "harness/matrix/matrix_command.h"
#include "harness/query/query_command.h"
#include "harness/report/report_command.h"
#include "harness/run/interrupt.h"
#include "harness/run/runner.h"
#include "harness/run/schedule.h"
#include "harness/run/summary.h"
#include "harness/scenario/scenario_command.h"
#include "harness/serve/serve_command.h"
#include "harness/shrink/shrink_command.h"
#include "harness/sim/sim_command.h"
#include "harness/spec/number_options.h"
#include "harness/spec/test_spec.h"
#include "harness/suite/merge_command.h"
#include "harness/suite/suite_command.h"
#include "harness/systems/registry.h"

namespace fl = faultline::harness;
namespace fs = std::filesystem;

namespace {

fl::RunOptions BaseOptions(const std::string& store, const std::string& results) {
  fl::RunOptions o;
  o.store_path = store;
  o.results_dir = results;
  o.out = &std::cout;
  o.tty = isatty(STDOUT_FILENO) == 1;
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  // A reader that goes away (`faultline run ... | head -2`) must not kill a run mid-way: without
  // this, the next line printed was death by SIGPIPE and the run was left crashed. Writes to the
  // closed pipe fail quietly; the run, its store and its exit code go on as if read.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"faultline: Jepsen-style chaos testing for zabd (ZooKeeper atomic broadcast)"};
  app.require_subcommand(1);
  app.fallthrough();
  std::string store = "results/faultline.db";
  std::string results = "results";
  app.add_option("--store", store, "SQLite history store (all runs)")->capture_default_str();
  app.add_option("--results", results, "folder for run folders (<results>/runs/<id>)")
      ->capture_default_str();
  int exit_code = 0;

  // ---- run
  CLI::App* run = app.add_subcommand("run", "run a chaos suite and check it");
  std::string suite;
  fl::SpecOverrides ov;
  run->add_option("suite", suite, "suite YAML (e.g. workloads/quick.yaml)")->required();
  std::string system_kind;
  run->add_option("--system", system_kind,
                  "system under test (replaces system.kind; keys the new kind does not take are "
                  "dropped)");
  run->add_option("--read-mode", ov.read_mode, "read mode (the system's own, e.g. local)");
  run->add_option("--time-limit", ov.time_limit, "workload duration, e.g. 15s");
  run->add_option("--seed", ov.seed, "seed for ops, schedule and target draws")
      ->check(fl::SeedValidator());
  run->add_option("--nodes", ov.nodes, "cluster size (3 or 5)");
  run->add_option("--concurrency", ov.concurrency, "client workers");
  run->add_option("--nemesis", ov.nemesis, "fault kinds, comma-separated, or none");
  run->add_option("--net", ov.net, "auto | iptables | proxy | none");
  std::string junit;
  run->add_option("--junit", junit, "also write the run's JUnit XML here");
  run->callback([&] {
    faultline::Result<fl::TestSpec> spec = fl::LoadTestSpec(suite);
    if (!spec.ok()) {
      std::cerr << "error: " << spec.status().message() << "\n";
      exit_code = 2;
      return;
    }
    if (!system_kind.empty()) {
      auto dropped = fl::OverrideSystemKind(system_kind, &*spec);
      if (!dropped.ok()) {
        std::cerr << "error: " << dropped.status().message() << "\n";
        exit_code = 2;
        return;
      }
      for (const auto& key : *dropped) {
        std::cout << "note: --system " << system_kind << ": dropped system." << key << "\n";
      }
    }
    if (faultline::Status s = fl::ApplyOverrides(ov, &*spec); !s.ok()) {
      std::cerr << "error: " << s.message() << "\n";
      exit_code = 2;
      return;
    }
    if (std::string cut = fl::CutScheduleNote(*spec); !cut.empty()) {
      std::cout << "note: " << cut << "\n";
    }
    if (faultline::Status s = fl::ValidateSystemSpec(*spec); !s.ok()) {
      std::cerr << "error: " << s.message() << "\n";
      exit_code = 2;
      return;
    }
    fl::RunOptions o = BaseOptions(store, results);
    o.system_context.spec_dir = fs::path(suite).parent_path().string();
    o.spec = std::move(spec).value();
    o.junit_path = junit;
    exit_code = fl::ExecuteRun(o).exit_code;
  });

  // ---- runs, anomalies, trends (queries across runs: harness/query)
  faultline::harness::query::AddQueryCommands(app, &exit_code, &store);

  // ---- show
  CLI::App* show = app.add_subcommand("show", "print one run's summary");
  int64_t show_run = 0;
  show->add_option("run", show_run, "run id (see `faultline runs`)")
      ->required()
      ->check(fl::RunIdValidator());
  show->callback([&] {
    const int64_t id = show_run;
    auto s = fl::HistoryStore::OpenExisting(store);
    if (!s.ok()) {
      std::cerr << "error: " << s.status().message() << "\n";
      exit_code = 2;
      return;
    }
    if (faultline::Status st = fl::PrintRunSummary(**s, id, std::cout); !st.ok()) {
      std::cerr << "error: " << st.ToString() << "\n";
      exit_code = 2;
    }
  });

  // ---- check (C's command; runs are loaded from the store by id)
  faultline::checkers::AddCheckCommand(app, &exit_code, fl::StoreRunLoader(&store));

  faultline::harness::report::AddReportCommand(app, &exit_code, &store);

  // ---- scenario (issue 5: a written-down schedule against a real cluster, with expectations)
  faultline::harness::scenario::AddScenarioCommand(app, &exit_code, &store, &results);
  faultline::harness::AddConvertJepsenCommand(app, &exit_code);  // Jepsen nemesis -> schedule
  faultline::harness::AddMatrixCommand(app, &exit_code, &store,
                                       &results);  // detection matrix (issue 11)
  faultline::harness::serve::AddServeCommand(app, &exit_code, &store,
                                             &results);  // browser over the store
  faultline::harness::sim::AddSimCommand(app, &exit_code, &store,
                                         &results);  // deterministic simulation
  faultline::harness::shrink::AddShrinkCommand(app, &exit_code, &store, &results);  // issue 12
  faultline::harness::shrink::AddReplayCommand(app, &exit_code, &store, &results);  // --repeat
  faultline::harness::suite::AddSuiteCommand(app, &exit_code, &store, &results);
  faultline::harness::suite::AddMergeCommand(app, &exit_code, &store, &results);  // shards -> one

  fl::InstallInterruptHandlers();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  } catch (const std::exception& e) {  // process edge: nothing below should throw, but if it does
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  return exit_code;
}
