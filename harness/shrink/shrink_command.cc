#include "harness/shrink/shrink_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "harness/history/history_store.h"
#include "harness/run/interrupt.h"
#include "harness/run/recorded_run.h"
#include "harness/shrink/attempts.h"
#include "harness/shrink/shrink.h"
#include "harness/shrink/target.h"
#include "harness/sim/sim_config.h"
#include "harness/spec/number_options.h"

namespace faultline::harness::shrink {
namespace {

namespace fs = std::filesystem;

// The run, read with the store closed again before any attempt starts (a netns is entered
// single-threaded).
Result<RecordedRun> Load(const std::string& store, int64_t run_id, bool exact) {
  Result<std::unique_ptr<HistoryStore>> s = HistoryStore::OpenExisting(store);
  if (!s.ok()) return s.status();
  return LoadRecordedRun(**s, run_id, exact);
}

struct ShrinkArgs {
  int64_t run = 0;
  int tries = 3;
  int confirm = 3;
  std::string match = "checker";
  std::string checker;
  bool no_trim = false;
  bool sim = false;
  bool exact = false;
};

int RunShrink(const ShrinkArgs& a, const std::string& store_path, const std::string& results) {
  Result<MatchLevel> level = ParseMatchLevel(a.match);
  if (!level.ok()) {
    std::cerr << "error: " << level.status().message() << "\n";
    return 2;
  }
  Result<RecordedRun> run = Load(store_path, a.run, a.exact || a.sim);
  if (!run.ok()) {
    std::cerr << "error: " << run.status().message() << "\n";
    return 2;
  }
  if (a.sim && run->spec.system.kind != "zabd") {
    std::cerr << "error: --sim: run " << a.run << " is on system " << run->spec.system.kind
              << "; the simulator runs zabd only\n";
    return 2;
  }
  const fs::path folder = run->run.folder.empty()
                              ? fs::path(results) / "runs" / std::to_string(a.run)
                              : fs::path(run->run.folder);
  std::error_code ec;
  fs::create_directories(folder, ec);
  ShrinkOptions o;
  o.original = std::move(run).value();
  o.match = *level;
  o.checker = a.checker;
  o.tries = a.tries;
  o.confirm = a.confirm;
  o.trim = !a.no_trim;
  o.repro_path = (folder / "repro.yaml").string();
  o.run_command = a.sim ? fmt::format("faultline sim {}", o.repro_path)
                        : fmt::format("faultline run {}", o.repro_path);
  o.out = &std::cout;
  AttemptContext ctx;
  ctx.store_path = store_path;
  ctx.results_dir = results;
  ctx.replay_of = a.run;
  std::unique_ptr<HistoryStore> sim_store;
  Attempter attempter;
  if (a.sim) {
    Result<std::unique_ptr<HistoryStore>> s = HistoryStore::Open(store_path);
    if (!s.ok()) {
      std::cerr << "error: " << s.status().ToString() << "\n";
      return 2;
    }
    sim_store = std::move(s).value();
    attempter = SimAttempter(sim_store.get(), ctx);
  } else {
    attempter = RealAttempter(ctx);
  }
  ShrinkResult r = Shrink(o, attempter);
  if (!r.status.ok() && r.attempts == 0) {
    std::cerr << "error: " << r.status.message() << "\n";
    return 2;
  }
  std::cout << "wrote " << o.repro_path << "\n";
  if (r.interrupted || !r.status.ok()) return 2;
  return r.confirm_runs > 0 && r.confirmed == 0 ? 1 : 0;
}

struct ReplayArgs {
  int64_t run = 0;
  int repeat = 1;
};

int RunReplay(const ReplayArgs& a, const std::string& store_path, const std::string& results) {
  Result<RecordedRun> run = Load(store_path, a.run, /*exact=*/false);
  if (!run.ok()) {
    std::cerr << "error: " << run.status().message() << "\n";
    return 2;
  }
  // The realized schedule replaces the spec's; a run that realized none regenerates the same
  // (empty) one from its seed.
  TestSpec spec = run->spec;
  if (!run->schedule.empty()) spec.nemesis.schedule = run->schedule;
  Result<AnomalyTarget> target = TargetOf(run->checks);
  AttemptContext ctx;
  ctx.store_path = store_path;
  ctx.results_dir = results;
  ctx.replay_of = a.run;
  ctx.out = &std::cout;
  ctx.tty = isatty(STDOUT_FILENO) == 1;
  Attempter attempt = RealAttempter(ctx);
  int invalid = 0, trouble = 0, same = 0, done = 0;
  for (int i = 1; i <= a.repeat && !Interrupted(); ++i) {
    Attempt r = attempt(spec);
    if (r.run_id == 0) {
      std::cerr << "error: replay could not run: " << r.error << "\n";
      return 2;
    }
    if (r.interrupted) break;
    ++done;
    const std::string verdict = r.exit_code == 0   ? "valid"
                                : r.exit_code == 1 ? "invalid"
                                                   : "unknown";
    invalid += r.exit_code == 1;
    trouble += r.exit_code == 2;
    std::string what;
    if (target.ok()) {
      const AttemptMatch m = Compare(*target, r.checks);
      same += m.same_checker;
      what = DescribeMatch(*target, m);
    } else {
      same += r.exit_code == 0;
      what = r.exit_code == 0 ? "valid, as the original" : "not valid, unlike the original";
    }
    std::cout << fmt::format("replay {}/{}: run {} {} — {}\n", i, a.repeat, r.run_id, verdict,
                             what);
  }
  if (target.ok()) {
    std::cout << fmt::format(
        "replay fidelity: {} of {} replays of run {} reproduced its anomaly kind ({}); {} of {} "
        "found some anomaly\n",
        same, done, a.run, target->checker, invalid, done);
  } else {
    std::cout << fmt::format(
        "replay fidelity: run {} had no anomaly; {} of {} replays were valid\n", a.run, same, done);
  }
  if (Interrupted()) {
    std::cout << "interrupted\n";
    return 2;
  }
  return invalid ? 1 : trouble ? 2 : 0;
}

}  // namespace

void AddShrinkCommand(CLI::App& app, int* exit_code, const std::string* store,
                      const std::string* results) {
  auto a = std::make_shared<ShrinkArgs>();
  CLI::App* cmd = app.add_subcommand(
      "shrink",
      "shrink a failing run's fault schedule (delta debugging on fresh clusters, same op stream) "
      "to the faults that matter; writes results/runs/RUN/repro.yaml");
  cmd->add_option("run", a->run, "run id (with an anomaly)")
      ->required()
      ->check(faultline::harness::RunIdValidator());
  cmd->add_option("--tries", a->tries, "attempts per candidate schedule")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  cmd->add_option("--confirm", a->confirm, "runs of the final repro.yaml to measure its rate")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  cmd->add_option("--match", a->match,
                  "what counts as the same anomaly: checker | key | write (same lost write)")
      ->capture_default_str();
  cmd->add_option(
      "--checker", a->checker,
      "the anomaly to keep: lost-writes, linearizability, zab-invariants, ... (default: "
      "the run's first invalid check)");
  cmd->add_flag("--no-trim", a->no_trim, "keep the original clients and time limit");
  cmd->add_flag("--sim", a->sim, "try candidates in the zabd simulator instead of real clusters");
  cmd->add_flag("--exact-partitions", a->exact,
                "replay partitions as the exact links they cut (default: their shape)");
  cmd->callback([a, exit_code, store, results] { *exit_code = RunShrink(*a, *store, *results); });
}

void AddReplayCommand(CLI::App& app, int* exit_code, const std::string* store,
                      const std::string* results) {
  auto a = std::make_shared<ReplayArgs>();
  CLI::App* cmd = app.add_subcommand(
      "replay",
      "rerun a recorded run: same seed, op stream and realized fault schedule; --repeat N says "
      "how many replays reproduced the original anomaly kind");
  cmd->add_option("run", a->run, "run id")->required()->check(RunIdValidator());
  cmd->add_option("--repeat", a->repeat, "replays to run")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  cmd->callback([a, exit_code, store, results] { *exit_code = RunReplay(*a, *store, *results); });
}

}  // namespace faultline::harness::shrink
