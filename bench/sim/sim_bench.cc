// sim_bench: how fast is `faultline sim` (issue 12)?
//   BM_SimQuickSuite — workloads/quick.yaml (3-node register suite, kills, pauses, partitions,
//     30 s) run by RunSim, one seed per iteration, recorded into a store and judged by the
//     checkers, as `faultline sim` does. Counters: sim_s_per_wall_s (whole run: simulation,
//     recording, final reads, checkers) and sim_s_per_cpu_s (controller CPU, every thread).
//     Goal: >= 1,000 simulated seconds per wall second.
//   BM_SimQuickSuiteSeeds/jobs:N — the same suite, seeds 1..10, N at once (RunSeeds, as
//     `faultline sim --jobs N`): the same counters over the ten runs.
//   BM_FindFaultPoint/<point> — for every fault point of workloads/detection.yaml, its random
//     suites run in the simulator with the point enabled, seeds 1, 2, ... (every suite of a seed,
//     then the next seed; sim_points.h FindInSim) until a checker finds a run invalid. Counters:
//     wall_s (wall time to the first invalid run, everything included), runs, sim_s. Goal:
//     < 10 s each.
//
//   build/bench/sim_bench [--benchmark_filter=Find]
// Runs land in a temp store (removed afterwards). Numbers depend on the machine's load: quote
// them with the load (uptime) of the sitting.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <chrono>
#include <filesystem>
#include <sstream>

#include "harness/matrix/matrix.h"
#include "harness/sim/sim_points.h"
#include "harness/sim/sim_run.h"
#include "harness/sim/sim_seeds.h"

namespace faultline::harness::sim {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kMaxSeedsPerPoint = 30;  // bound of the search per fault point

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec +
         u.ru_stime.tv_usec / 1e6;
}

struct TempStore {
  TempStore() {
    std::string t = (fs::temp_directory_path() / "sim_bench.XXXXXX").string();
    dir = mkdtemp(t.data());
    auto s = HistoryStore::Open(dir + "/h.db");
    if (s.ok()) store = std::move(s).value();
  }
  ~TempStore() {
    store.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string dir;
  std::unique_ptr<HistoryStore> store;
};

SimOutcome RunOne(TempStore& t, const TestSpec& spec, uint64_t seed) {
  SimRunOptions o;
  o.spec = spec;
  o.spec.seed = seed;
  o.results_dir = t.dir;
  o.store_path = t.dir + "/h.db";
  o.queue_end_writes = true;  // as `faultline sim` runs seeds: the commit overlaps the next run
  std::ostringstream quiet;
  o.out = &quiet;
  return RunSim(*t.store, o);
}

void BM_SimQuickSuite(benchmark::State& state) {
  Result<TestSpec> spec = LoadTestSpec(std::string(FAULTLINE_SOURCE_DIR) + "/workloads/quick.yaml");
  if (!spec.ok()) {
    state.SkipWithError(spec.status().ToString().c_str());
    return;
  }
  TempStore t;
  uint64_t seed = 1;
  double sim_s = 0, wall_s = 0, cpu_s = 0;
  for (auto _ : state) {
    const double c0 = CpuSeconds();
    const auto w0 = Clock::now();
    SimOutcome r = RunOne(t, *spec, seed++);
    wall_s += std::chrono::duration<double>(Clock::now() - w0).count();
    cpu_s += CpuSeconds() - c0;
    sim_s += static_cast<double>(r.simulated_ms) / 1000.0;
    if (r.run.run_id == 0) {
      state.SkipWithError(r.run.error.c_str());
      return;
    }
  }
  // The last run's rows are still being committed (queue_end_writes): they count.
  const double c0 = CpuSeconds();
  const auto w0 = Clock::now();
  (void)t.store->Flush();
  wall_s += std::chrono::duration<double>(Clock::now() - w0).count();
  cpu_s += CpuSeconds() - c0;
  state.counters["sim_s_per_wall_s"] = sim_s / wall_s;
  state.counters["sim_s_per_cpu_s"] = sim_s / cpu_s;
  state.counters["sim_s_per_run"] = sim_s / static_cast<double>(state.iterations());
}
BENCHMARK(BM_SimQuickSuite)->Unit(benchmark::kMillisecond)->Iterations(5);

// The same suite, seeds 1..10, as `faultline sim --seeds 1..10 --jobs N` runs them (RunSeeds):
// N seeds at once, one thread each, one store. jobs:1 is the command's default.
void BM_SimQuickSuiteSeeds(benchmark::State& state) {
  Result<TestSpec> spec = LoadTestSpec(std::string(FAULTLINE_SOURCE_DIR) + "/workloads/quick.yaml");
  if (!spec.ok()) {
    state.SkipWithError(spec.status().ToString().c_str());
    return;
  }
  const int jobs = static_cast<int>(state.range(0));
  constexpr uint64_t kSeeds = 10;
  double sim_s = 0, wall_s = 0, cpu_s = 0;
  for (auto _ : state) {
    TempStore t;
    SimRunOptions o;
    o.spec = *spec;
    o.results_dir = t.dir;
    o.store_path = t.dir + "/h.db";
    o.queue_end_writes = true;
    const double c0 = CpuSeconds();
    const auto w0 = Clock::now();
    std::string error;
    RunSeeds(*t.store, o, 1, kSeeds, jobs, [&](const SeedResult& r) {
      sim_s += static_cast<double>(r.outcome.simulated_ms) / 1000.0;
      if (r.outcome.run.run_id == 0) error = r.outcome.run.error;
      return error.empty();
    });
    (void)t.store->Flush();  // the last runs' queued rows count
    wall_s += std::chrono::duration<double>(Clock::now() - w0).count();
    cpu_s += CpuSeconds() - c0;
    if (!error.empty()) {
      state.SkipWithError(error.c_str());
      return;
    }
  }
  state.counters["sim_s_per_wall_s"] = sim_s / wall_s;
  state.counters["sim_s_per_cpu_s"] = sim_s / cpu_s;
}
BENCHMARK(BM_SimQuickSuiteSeeds)
    ->ArgName("jobs")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

void BM_FindFaultPoint(benchmark::State& state, MatrixSpec matrix, MatrixPoint point) {
  TempStore t;
  std::vector<std::string> suites;
  for (const std::string& s : point.suites) suites.push_back((fs::path(matrix.dir) / s).string());
  for (auto _ : state) {
    const auto w0 = Clock::now();
    PointSearch r = FindInSim(*t.store, t.dir, suites, point.fault, matrix.first_seed,
                              matrix.first_seed + kMaxSeedsPerPoint - 1);
    (void)t.store->Flush();  // its runs' last rows (queued) count
    const double wall = std::chrono::duration<double>(Clock::now() - w0).count();
    if (r.found) {
      state.SetLabel(fmt::format("found: seed {} of {} ({})", r.seed,
                                 fs::path(r.suite).filename().string(), r.checker));
    } else {
      state.SetLabel(r.runs == 0 ? "skipped: " + r.error
                                 : fmt::format("NOT FOUND in {} runs", r.runs));
    }
    state.counters["wall_s"] = wall;
    state.counters["runs"] = r.runs;
    state.counters["sim_s"] = r.simulated_s;
  }
}

void RegisterFaultPoints() {
  Result<MatrixSpec> m =
      LoadMatrixSpec(std::string(FAULTLINE_SOURCE_DIR) + "/workloads/detection.yaml");
  if (!m.ok()) {
    fmt::print(stderr, "sim_bench: {}\n", m.status().ToString());
    return;
  }
  for (const MatrixPoint& p : m->points) {
    benchmark::RegisterBenchmark(("BM_FindFaultPoint/" + p.fault).c_str(), BM_FindFaultPoint, *m, p)
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace
}  // namespace faultline::harness::sim

int main(int argc, char** argv) {
  faultline::harness::sim::RegisterFaultPoints();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
