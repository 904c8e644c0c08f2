#include "harness/sim/sim_command.h"

#include <fmt/format.h>

#include <chrono>
#include <functional>
#include <iostream>
#include <memory>

#include "harness/history/history_store.h"
#include "harness/run/interrupt.h"
#include "harness/run/schedule.h"
#include "harness/sim/sim_run.h"
#include "harness/sim/sim_seeds.h"
#include "harness/spec/number_options.h"
#include "harness/spec/test_spec.h"

namespace faultline::harness::sim {
namespace {

struct Args {
  std::string suite;
  std::string seeds;
  int64_t from_run = 0;
  std::string store;    // the global --store
  std::string results;  // the global --results
  SpecOverrides overrides;
  bool summary = false;
  bool report = false;
  bool stop_at_first = false;
  bool digest = false;
  int jobs = 1;
};

Result<uint64_t> ParseSeed(const std::string& text) {
  size_t used = 0;
  uint64_t v = 0;
  try {
    v = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.empty() || used != text.size() || text[0] == '-' || v == 0) {
    return Status::InvalidArgument(fmt::format("--seeds: '{}' is not a seed (1, 2, ...)", text));
  }
  return v;
}

// The spec (and schedule) to simulate: the suite file, or a recorded run (SimInputFromRun).
Status LoadInput(const Args& a, TestSpec* spec, uint64_t* run_seed) {
  if (a.from_run > 0) {
    Result<std::unique_ptr<HistoryStore>> store = HistoryStore::OpenExisting(a.store);
    if (!store.ok()) return store.status();
    Result<SimInput> in = SimInputFromRun(**store, a.from_run);
    if (!in.ok()) return in.status();
    for (const std::string& note : in->notes)
      std::cout << "note: run " << a.from_run << ": " << note << "\n";
    *spec = std::move(in->spec);
    *run_seed = spec->seed;
    return Status::Ok();
  }
  Result<TestSpec> s = LoadTestSpec(a.suite);
  if (!s.ok()) return s.status();
  *spec = std::move(s).value();
  *run_seed = spec->seed;
  return Status::Ok();
}

int Run(const Args& a) {
  if (a.suite.empty() == (a.from_run == 0)) {
    std::cerr << "error: give a SUITE or --from-run RUN (not both)\n";
    return 2;
  }
  TestSpec spec;
  uint64_t run_seed = 0;
  if (Status s = LoadInput(a, &spec, &run_seed); !s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 2;
  }
  if (Status s = ApplyOverrides(a.overrides, &spec); !s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 2;
  }
  if (std::string cut = CutScheduleNote(spec); !cut.empty()) std::cout << "note: " << cut << "\n";
  std::pair<uint64_t, uint64_t> seeds{run_seed ? run_seed : 1, run_seed ? run_seed : 1};
  if (!a.seeds.empty()) {
    Result<std::pair<uint64_t, uint64_t>> r = ParseSeedRange(a.seeds);
    if (!r.ok()) {
      std::cerr << "error: " << r.status().message() << "\n";
      return 2;
    }
    seeds = *r;
  }
  Result<std::unique_ptr<HistoryStore>> store = HistoryStore::Open(a.store);
  if (!store.ok()) {
    std::cerr << "error: " << store.status().ToString() << "\n";
    return 2;
  }
  using Clock = std::chrono::steady_clock;
  const Clock::time_point t0 = Clock::now();
  int invalid = 0, errors = 0, tried = 0;
  double simulated_s = 0;
  std::string first;
  SimRunOptions o;
  o.spec = spec;
  if (a.from_run > 0) o.replay_of = a.from_run;
  o.results_dir = a.results;
  o.store_path = a.store;
  o.summary = a.summary;
  o.report = a.report;
  o.queue_end_writes = true;  // the next seed overlaps this one's commit; --digest flushes
  bool cannot_simulate = false;
  RunSeeds(**store, o, seeds.first, seeds.second, a.jobs, [&](const SeedResult& res) {
    const SimOutcome& r = res.outcome;
    const uint64_t seed = res.seed;
    ++tried;
    if (r.run.run_id == 0) {  // the spec cannot be simulated: the same for every seed
      std::cerr << res.console;
      cannot_simulate = true;
      return false;
    }
    if (a.summary) std::cout << res.console;
    simulated_s += static_cast<double>(r.simulated_ms) / 1000.0;
    std::string digest;
    if (a.digest) {  // reads the whole run back: off by default (it costs what the run did)
      Result<std::string> history = HistoryFingerprint(**store, r.run.run_id);
      digest = "  history " +
               (history.ok() ? fmt::format("{:016x}", std::hash<std::string>{}(*history)) : "?");
    }
    std::string fired;
    for (const auto& c : r.invalid_checkers) fired += (fired.empty() ? "" : ",") + c;
    std::cout << fmt::format(
        "seed {:<6} run {:<6} {:<8} {:<28} ops {:<6} faults {:<3} simulated {:>6.1f} s  wall "
        "{:>6.3f} s{}\n",
        seed, r.run.run_id, r.run.verdict, fired.empty() ? "-" : fired, r.ops, r.faults_applied,
        static_cast<double>(r.simulated_ms) / 1000.0, res.wall_s, digest);
    if (!r.run.error.empty()) std::cout << "  error: " << r.run.error << "\n";
    if (r.run.exit_code == 1) {
      ++invalid;
      if (first.empty()) {
        first = fmt::format("first anomaly: seed {} (run {}, {}) after {:.3f} s wall", seed,
                            r.run.run_id, r.first_checker,
                            std::chrono::duration<double>(Clock::now() - t0).count());
      }
      if (a.stop_at_first) return false;
    } else if (r.run.exit_code != 0) {
      ++errors;
    }
    return true;
  });
  if (cannot_simulate) return 2;
  // The last runs' rows are still being committed (queue_end_writes): they count.
  if (Status f = (*store)->Flush(); !f.ok()) std::cerr << "warning: " << f.ToString() << "\n";
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  std::cout << fmt::format(
      "{} seed(s): {} with an anomaly, {} unknown or error; {:.1f} simulated s in {:.3f} s wall "
      "({:.0f} simulated s per wall s)\n",
      tried, invalid, errors, simulated_s, wall, wall > 0 ? simulated_s / wall : 0.0);
  if (!first.empty()) std::cout << first << "\n";
  if (Interrupted()) {
    std::cout << "interrupted\n";
    return 2;
  }
  return invalid ? 1 : errors ? 2 : 0;
}

}  // namespace

Result<std::pair<uint64_t, uint64_t>> ParseSeedRange(const std::string& text) {
  const size_t dots = text.find("..");
  if (dots == std::string::npos) {
    Result<uint64_t> one = ParseSeed(text);
    if (!one.ok()) return one.status();
    return std::pair<uint64_t, uint64_t>{*one, *one};
  }
  Result<uint64_t> a = ParseSeed(text.substr(0, dots));
  if (!a.ok()) return a.status();
  Result<uint64_t> b = ParseSeed(text.substr(dots + 2));
  if (!b.ok()) return b.status();
  if (*b < *a) {
    return Status::InvalidArgument(fmt::format("--seeds: '{}' ends before it starts", text));
  }
  return std::pair<uint64_t, uint64_t>{*a, *b};
}

void AddSimCommand(CLI::App& app, int* exit_code, const std::string* store,
                   const std::string* results) {
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "sim",
      "run a zabd suite in a deterministic simulator (real cores and storage, simulated network "
      "and clock), one run per seed; same seed, same history");
  cmd->add_option("suite", args->suite, "suite YAML (system kind zabd)");
  cmd->add_option("--seeds", args->seeds, "A..B or one seed (default: the suite's, else 1)");
  cmd->add_option("--from-run", args->from_run,
                  "simulate a recorded run: its spec and realized fault schedule")
      ->check(faultline::harness::RunIdValidator());
  cmd->add_option("--time-limit", args->overrides.time_limit, "workload duration, e.g. 30s");
  cmd->add_option("--nodes", args->overrides.nodes, "cluster size (3 or 5)");
  cmd->add_option("--concurrency", args->overrides.concurrency, "client workers");
  cmd->add_option("--nemesis", args->overrides.nemesis, "fault kinds, comma-separated, or none");
  cmd->add_option("--read-mode", args->overrides.read_mode, "linearizable | sync | local");
  cmd->add_flag("--summary", args->summary, "print each run's summary");
  cmd->add_flag("--report", args->report, "write report.html for each run");
  cmd->add_flag("--digest", args->digest,
                "print each run's history digest (HistoryFingerprint: the same seed, the same "
                "digest)");
  cmd->add_flag("--stop-at-first", args->stop_at_first, "stop at the first seed with an anomaly");
  cmd->add_option("--jobs", args->jobs,
                  "seeds simulated at once, one thread each (a seed's history does not depend "
                  "on it; reported in seed order)")
      ->check(CLI::Range(1, 64));
  cmd->callback([args, exit_code, store, results] {
    args->store = *store;
    args->results = *results;
    *exit_code = Run(*args);
  });
}

}  // namespace faultline::harness::sim
