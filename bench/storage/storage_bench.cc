// Storage throughput on the real file system (PosixEnv, a temp dir under /tmp), not a test.
//   BM_AppendSync/G/R: G appends of 128-byte payloads, then one Sync (group commit of G
//                    records), with Options::reserve_bytes = R MiB (0: no log space reserved
//                    ahead, so each fdatasync also flushes a new file size); records/s, fsyncs/s.
//   BM_AppendSyncMem/G: the same on MemEnv: storage's own CPU cost per record (no disk).
//   BM_Recover/N:    Open() of a log holding N 128-byte records (recovery scan), records/s.
// Run: build-storage/bin/storage_bench   (each benchmark makes and removes its own directory)
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "server/storage/env.h"
#include "server/storage/mem_env.h"
#include "server/storage/storage.h"

namespace {

using storage::Record;
using storage::Recovered;
using storage::Storage;

constexpr size_t kPayloadBytes = 128;

uint64_t Zxid(uint32_t counter) { return (uint64_t{1} << 32) | counter; }

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/storage_bench.XXXXXX";
    if (mkdtemp(tmpl) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    if (!path_.empty()) std::filesystem::remove_all(path_);
  }
  std::string data() const { return path_ + "/data"; }
  bool ok() const { return !path_.empty(); }

 private:
  std::string path_;
};

std::unique_ptr<Storage> OpenOrSkip(benchmark::State& state, const std::string& dir,
                                    storage::Options options = {}) {
  Recovered rec;
  auto st = Storage::Open(storage::PosixEnv(), dir, options, &rec);
  if (!st.ok()) {
    state.SkipWithError(st.status().ToString().c_str());
    return nullptr;
  }
  return std::move(st).value();
}

void AppendSyncLoop(benchmark::State& state, Storage* st) {
  const int64_t group = state.range(0);
  if (!st->WriteAcceptedEpoch(1).ok() || !st->WriteCurrentEpoch(1).ok()) {
    state.SkipWithError("epoch write failed");
    return;
  }
  const std::string payload(kPayloadBytes, 'v');
  uint32_t counter = 0;
  const uint64_t fsyncs_before = st->fsync_count();
  for (auto _ : state) {
    for (int64_t i = 0; i < group; ++i) {
      if (!st->Append(Record{Zxid(++counter), payload}).ok()) state.SkipWithError("append failed");
    }
    if (!st->Sync().ok()) state.SkipWithError("sync failed");
  }
  state.counters["records/s"] =
      benchmark::Counter(static_cast<double>(counter), benchmark::Counter::kIsRate);
  state.counters["fsyncs/s"] = benchmark::Counter(
      static_cast<double>(st->fsync_count() - fsyncs_before), benchmark::Counter::kIsRate);
}

void BM_AppendSync(benchmark::State& state) {
  TempDir tmp;
  storage::Options options;
  options.reserve_bytes = static_cast<uint64_t>(state.range(1)) << 20;
  auto st = OpenOrSkip(state, tmp.data(), options);
  if (st) AppendSyncLoop(state, st.get());
}
BENCHMARK(BM_AppendSync)->ArgsProduct({{1, 16, 128}, {0, 1, 16}})->UseRealTime();

void BM_AppendSyncMem(benchmark::State& state) {
  storage::MemEnv env;
  Recovered rec;
  auto st = Storage::Open(&env, "/db", storage::Options{}, &rec);
  if (!st.ok()) {
    state.SkipWithError(st.status().ToString().c_str());
    return;
  }
  AppendSyncLoop(state, st.value().get());
}
BENCHMARK(BM_AppendSyncMem)->Arg(1)->Arg(128);

void BM_Recover(benchmark::State& state) {
  const int64_t records = state.range(0);
  TempDir tmp;
  {
    auto st = OpenOrSkip(state, tmp.data());
    if (!st) return;
    if (!st->WriteAcceptedEpoch(1).ok() || !st->WriteCurrentEpoch(1).ok()) return;
    const std::string payload(kPayloadBytes, 'v');
    for (int64_t i = 1; i <= records; ++i) {
      if (!st->Append(Record{Zxid(static_cast<uint32_t>(i)), payload}).ok()) return;
    }
    if (!st->Sync().ok()) return;
  }
  for (auto _ : state) {
    Recovered rec;
    auto st = Storage::Open(storage::PosixEnv(), tmp.data(), storage::Options{}, &rec);
    if (!st.ok() || rec.log.size() != static_cast<size_t>(records)) {
      state.SkipWithError("recovery failed");
    }
  }
  state.counters["records/s"] = benchmark::Counter(
      static_cast<double>(records * state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Recover)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
