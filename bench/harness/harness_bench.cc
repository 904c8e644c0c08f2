// harness_bench: is the recording path the bottleneck? A trivial in-process client (answers
// every op at once) is driven through the real Workers and the real HistoryStore (SQLite WAL,
// writer thread); the benchmark reports ops recorded per second (until every op is committed)
// and controller CPU (user + system, all threads) per 1,000 ops. Goal: >= 50,000 ops/s.
//
//   build-harness/bench/harness_bench  (or --benchmark_filter=.../4)
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <filesystem>
#include <thread>

#include "harness/generator/op_generator.h"
#include "harness/generator/workers.h"
#include "harness/history/history_store.h"

namespace faultline::harness {
namespace {

class InstantClient : public Client {
 public:
  OpResult Invoke(const checkers::Op& op, std::chrono::milliseconds) override {
    OpResult r;
    r.outcome = checkers::Outcome::kOk;
    if (op.f == checkers::Fn::kRead) r.value = "1";
    r.zxid = op.index;
    return r;
  }
};

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec +
         u.ru_stime.tv_usec / 1e6;
}

void BM_RecordOps(benchmark::State& state) {
  const int concurrency = static_cast<int>(state.range(0));
  const int64_t ops_target = state.range(1);
  std::string tmpl = (std::filesystem::temp_directory_path() / "harness_bench.XXXXXX").string();
  std::string dir = mkdtemp(tmpl.data());
  double total_ops = 0, total_wall = 0, total_cpu = 0;
  for (auto _ : state) {
    auto store = HistoryStore::Open(dir + "/h.db");
    if (!store.ok()) {
      state.SkipWithError(store.status().ToString().c_str());
      break;
    }
    RunRecord run;
    run.suite = "bench";
    int64_t run_id = *(*store)->CreateRun(run);
    WorkloadSpec w;
    OpGenerator gen(w, /*rate=*/0, /*seed=*/1);
    WorkerOptions o;
    o.run_id = run_id;
    o.concurrency = concurrency;
    Workers workers(
        &gen, store->get(), [](int) { return std::make_unique<InstantClient>(); }, o);
    double cpu0 = CpuSeconds();
    auto t0 = std::chrono::steady_clock::now();
    workers.Start(t0);
    while (workers.counts().total() < ops_target) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    workers.Stop();
    workers.Join();
    if (!(*store)->Flush().ok()) state.SkipWithError("flush failed");
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    total_cpu += CpuSeconds() - cpu0;
    total_wall += wall;
    total_ops += static_cast<double>(workers.counts().total());
    state.SetIterationTime(wall);
  }
  state.counters["ops_per_s"] = total_ops / total_wall;
  state.counters["cpu_ms_per_1000_ops"] = total_cpu * 1000.0 / (total_ops / 1000.0);
  state.counters["ops"] = total_ops;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

BENCHMARK(BM_RecordOps)
    ->Args({1, 200000})
    ->Args({4, 200000})
    ->Args({16, 200000})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2);

}  // namespace
}  // namespace faultline::harness

BENCHMARK_MAIN();
