// zk_bench: throughput, latency and failover of a real 3-node ZooKeeper 3.8 ensemble on loopback
// with fsync on (forceSync=yes), measured the way bench/zabd/zabd_bench.cc measures zabd, so the
// two can be quoted side by side from one sitting. Not part of ctest.
//
//   build/bin/zk_bench [--seconds 3] [--reps 3] [--failover-reps 5] [--tick-time-ms 200]
//                      [--jvm chaos|default]
//
// Same methodology as zabd_bench: synchronous clients (one request in flight each, through the
// C client libzookeeper-mt), spread round-robin over the nodes, 128-byte values, each writer
// cycling over 100 keys of its own (znodes created before timing, so every timed op is a setData);
// writes at followers are forwarded to the leader by ZooKeeper. Reads: plain get (served by the
// local server) and sync+get. Failover under a light write load: from the signal to the leader to
// the first acknowledged write through a surviving node. The JVMs run with ZooKeeper's packaged
// defaults (no heap or GC flags, as Debian's zkServer.sh starts them) unless --jvm chaos, the
// small-heap serial-GC options faultline runs use. The servers die with the bench
// (PR_SET_PDEATHSIG), however it ends.
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>
#include <vector>

#include "harness/systems/zookeeper/zk_client.h"
#include "tests/e2e/zookeeper/ensemble.h"

namespace {

using faultline::checkers::Fn;
using faultline::checkers::Op;
using faultline::checkers::Outcome;
using faultline::harness::OpResult;
using faultline::harness::zookeeper::CreateRoot;
using faultline::harness::zookeeper::ZkClient;
using faultline::harness::zookeeper::ZkClientOptions;
using faultline::harness::zookeeper::testing::EnsembleOptions;
using faultline::harness::zookeeper::testing::ZkEnsemble;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr uint64_t kKeysPerWriter = 100;
constexpr auto kOpTimeout = 5000ms;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

struct RunResult {
  double ops_per_s = 0;
  double p50_ms = 0, p99_ms = 0;
  uint64_t errors = 0;
  std::string first_error;
};

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p * v.size()));
  std::nth_element(v.begin(), v.begin() + i, v.end());
  return v[i];
}

std::unique_ptr<ZkClient> Connect(const ZkEnsemble& e, int node, const std::string& read_mode) {
  ZkClientOptions o;
  o.connect = e.connect(node);
  o.node = node;
  o.read_mode = read_mode;
  return std::make_unique<ZkClient>(o);
}

Op MakeOp(Fn f, std::string key, std::optional<std::string> value = std::nullopt) {
  Op op;
  op.f = f;
  op.key = std::move(key);
  op.value = std::move(value);
  return op;
}

std::string WriterKey(int t, uint64_t n) { return fmt::format("w{}-{}", t, n % kKeysPerWriter); }

// Creates every znode the writers of a `clients` row will set, so timed ops are all setData.
bool CreateKeys(const ZkEnsemble& e, int clients, const std::string& value) {
  auto c = Connect(e, 1, "");
  for (int t = 0; t < clients; ++t) {
    for (uint64_t n = 0; n < kKeysPerWriter; ++n) {
      OpResult r;
      for (int attempt = 0; attempt < 20 && r.outcome != Outcome::kOk; ++attempt) {
        r = c->Invoke(MakeOp(Fn::kWrite, WriterKey(t, n), value), kOpTimeout);
        if (r.outcome == Outcome::kInfo) c->Reset();
      }
      if (r.outcome != Outcome::kOk) return false;
    }
  }
  return true;
}

RunResult RunLoad(const ZkEnsemble& e, int clients, double seconds, bool write,
                  const std::string& read_mode, int keys) {
  std::atomic<bool> stop{false};
  std::atomic<int> ready{0};
  std::vector<std::vector<double>> latencies(clients);
  std::vector<uint64_t> errors(clients, 0);
  std::vector<std::string> first_error(clients);
  std::vector<std::thread> threads;
  const std::string value(128, 'v');
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      const int node = 1 + t % e.size();
      auto c = Connect(e, node, write ? "" : read_mode);
      // Open the session before the clock starts (a session is a quorum write in ZooKeeper).
      (void)c->Invoke(MakeOp(Fn::kRead, "key0"), kOpTimeout);
      ++ready;
      while (ready.load() < clients && !stop.load()) std::this_thread::sleep_for(1ms);
      std::mt19937 rng(t);
      uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        auto start = Clock::now();
        OpResult r =
            write ? c->Invoke(MakeOp(Fn::kWrite, WriterKey(t, n++), value), kOpTimeout)
                  : c->Invoke(MakeOp(Fn::kRead, fmt::format("key{}", rng() % keys)), kOpTimeout);
        if (r.outcome == Outcome::kOk) {
          latencies[t].push_back(Seconds(Clock::now() - start) * 1000.0);
        } else {
          if (errors[t]++ == 0) first_error[t] = r.error;
          if (r.outcome == Outcome::kInfo) c->Reset();
        }
      }
    });
  }
  while (ready.load() < clients) std::this_thread::sleep_for(5ms);
  const auto begin = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  const double elapsed = Seconds(Clock::now() - begin);
  for (auto& th : threads) th.join();
  std::vector<double> all;
  RunResult r;
  for (int t = 0; t < clients; ++t) {
    all.insert(all.end(), latencies[t].begin(), latencies[t].end());
    r.errors += errors[t];
    if (r.first_error.empty()) r.first_error = first_error[t];
  }
  r.ops_per_s = all.size() / elapsed;
  r.p50_ms = Percentile(all, 0.50);
  r.p99_ms = Percentile(all, 0.99);
  return r;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Every node acknowledges a write (the whole ensemble is back in broadcast).
bool WaitHealthy(const ZkEnsemble& e, std::chrono::seconds deadline) {
  if (!e.WaitServing(deadline).ok()) return false;
  for (int id = 1; id <= e.size(); ++id) {
    auto c = Connect(e, id, "");
    const auto end = Clock::now() + deadline;
    OpResult r;
    while (r.outcome != Outcome::kOk && Clock::now() < end) {
      r = c->Invoke(MakeOp(Fn::kWrite, "health", std::to_string(id)), kOpTimeout);
      if (r.outcome == Outcome::kInfo) c->Reset();
    }
    if (r.outcome != Outcome::kOk) return false;
  }
  return true;
}

// Seconds from `signo` to the leader until the first acknowledged write through a survivor, or
// a negative value on failure.
double MeasureFailover(ZkEnsemble& e, int signo) {
  const int leader = e.FindLeader(30s);
  if (leader == 0) return -1;
  const int survivor = leader % e.size() + 1;
  std::atomic<bool> stop{false};
  std::vector<std::thread> load;
  for (int t = 0; t < 4; ++t) {
    const int node = (leader + t) % e.size() + 1;
    if (node == leader) continue;
    load.emplace_back([&, t, node] {
      auto c = Connect(e, node, "");
      uint64_t n = 0;
      while (!stop) {
        OpResult r =
            c->Invoke(MakeOp(Fn::kWrite, fmt::format("l{}-{}", t, n++ % 100), "x"), 1000ms);
        if (r.outcome == Outcome::kInfo) c->Reset();
      }
    });
  }
  auto probe = Connect(e, survivor, "");
  (void)probe->Invoke(MakeOp(Fn::kWrite, "probe", "p"), kOpTimeout);  // session before the signal
  std::this_thread::sleep_for(300ms);
  const auto start = Clock::now();
  (void)e.Signal(leader, signo);
  double result = -1;
  while (Seconds(Clock::now() - start) < 60) {
    OpResult r = probe->Invoke(MakeOp(Fn::kWrite, "probe", "p"), 1000ms);
    if (r.outcome == Outcome::kOk) {
      result = Seconds(Clock::now() - start);
      break;
    }
    if (r.outcome == Outcome::kInfo) probe->Reset();
  }
  stop = true;
  for (auto& th : load) th.join();
  if (signo == SIGKILL) {
    (void)e.Start(leader);
  } else {
    (void)e.Signal(leader, SIGCONT);
  }
  if (!WaitHealthy(e, 90s)) return -1;
  return result;
}

// fdatasync latency of a 128-byte append in `dir` right now (the floor under every write).
std::pair<double, double> FsyncP50P99Ms(const std::string& dir) {
  const std::string path = dir + "/fsync-probe";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) return {0, 0};
  std::vector<double> ms;
  const std::string block(128, 'f');
  for (int i = 0; i < 200; ++i) {
    auto start = Clock::now();
    if (::write(fd, block.data(), block.size()) < 0) break;
    ::fdatasync(fd);
    ms.push_back(Seconds(Clock::now() - start) * 1000.0);
  }
  ::close(fd);
  ::unlink(path.c_str());
  double p50 = Percentile(ms, 0.5);
  return {p50, Percentile(ms, 0.99)};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"zk_bench: 3-node ZooKeeper 3.8 throughput, latency and failover (fsync on)"};
  double seconds = 3;
  int reps = 3, failover_reps = 5;
  int tick_ms = 200;
  std::string jvm = "default";
  bool failover_only = false, writes_only = false;
  app.add_option("--seconds", seconds, "seconds per throughput run")->check(CLI::PositiveNumber);
  app.add_option("--reps", reps, "repetitions per throughput row (median reported)")
      ->check(CLI::Range(1, 100));
  app.add_option("--failover-reps", failover_reps, "repetitions per failover row")
      ->check(CLI::Range(0, 100));
  app.add_option("--tick-time-ms", tick_ms, "tickTime (initLimit 10, syncLimit 5)")
      ->check(CLI::Range(10, 10000));
  app.add_option("--jvm", jvm, "JVM options: default (ZooKeeper's packaged defaults) or chaos")
      ->check(CLI::IsMember({"default", "chaos"}));
  app.add_flag("--failover-only", failover_only, "skip the throughput rows");
  app.add_flag("--writes-only", writes_only, "skip the read and failover rows");
  CLI11_PARSE(app, argc, argv);

  EnsembleOptions options;
  options.timings.tick_time_ms = tick_ms;
  options.jvm = jvm == "default" ? faultline::harness::zookeeper::JvmProfile::kPackaged
                                 : faultline::harness::zookeeper::JvmProfile::kChaos;
  auto created = ZkEnsemble::Create(options);
  if (!created.ok()) {
    fmt::print(stderr, "zk_bench: {}\n", created.status().ToString());
    return 1;
  }
  ZkEnsemble& e = **created;
  if (!e.StartAll().ok() || !e.WaitServing(120s).ok() ||
      !CreateRoot(e.connect(1), "/faultline", 30s).ok() || !WaitHealthy(e, 60s)) {
    fmt::print(stderr, "ensemble did not come up; see {}\n", e.dir());
    return 1;
  }
  fmt::print(
      "zk_bench: ZooKeeper 3.8 (Debian), 3 nodes on loopback, forceSync=yes, 128-byte values, "
      "tickTime {} ms, JVM options: {}, {} s x {} reps per row (median), {} hardware threads\n\n",
      tick_ms, jvm, seconds, reps, std::thread::hardware_concurrency());
  auto [fsync_p50, fsync_p99] = FsyncP50P99Ms(e.dir());
  fmt::print("fdatasync of 128 bytes in {} right now: p50 {:.3f} ms, p99 {:.3f} ms\n\n", e.dir(),
             fsync_p50, fsync_p99);
  fmt::print("{:<34} {:>12} {:>10} {:>10} {:>8}\n", "workload", "ops/s", "p50 ms", "p99 ms",
             "errors");
  auto row = [&](const std::string& name, bool write, int clients, const std::string& mode) {
    std::vector<RunResult> runs;
    for (int i = 0; i < reps; ++i) runs.push_back(RunLoad(e, clients, seconds, write, mode, 1000));
    std::sort(runs.begin(), runs.end(),
              [](const RunResult& a, const RunResult& b) { return a.ops_per_s < b.ops_per_s; });
    const RunResult& m = runs[runs.size() / 2];
    uint64_t errors = 0;
    for (const auto& r : runs) errors += r.errors;
    fmt::print("{:<34} {:>12.0f} {:>10.3f} {:>10.3f} {:>8}\n", name, m.ops_per_s, m.p50_ms,
               m.p99_ms, errors);
    for (const auto& r : runs) {
      if (!r.first_error.empty()) {
        fmt::print("    first error: {}\n", r.first_error.substr(0, 160));
        break;
      }
    }
    std::fflush(stdout);
  };
  const std::string value(128, 'v');
  if (!failover_only && !CreateKeys(e, 64, value)) {
    fmt::print(stderr, "creating the writers' znodes failed\n");
    return 1;
  }
  for (int clients : {1, 4, 16, 64}) {
    if (failover_only) break;
    row(fmt::format("set, {} clients", clients), true, clients, "");
  }
  if (writes_only) return 0;
  if (!failover_only) {
    auto c = Connect(e, 1, "");
    for (int i = 0; i < 1000; ++i) {
      OpResult r;
      for (int attempt = 0; attempt < 20 && r.outcome != Outcome::kOk; ++attempt) {
        r = c->Invoke(MakeOp(Fn::kWrite, fmt::format("key{}", i), std::string(128, 'r')),
                      kOpTimeout);
        if (r.outcome == Outcome::kInfo) c->Reset();
      }
      if (r.outcome != Outcome::kOk) {
        fmt::print(stderr, "populating keys failed: {}\n", r.error);
        return 1;
      }
    }
    row("get (local), 16 clients", false, 16, "");
    row("sync+get, 16 clients", false, 16, "sync");
  }
  fmt::print("\n{:<34} {:>12} {:>10} {:>10}\n", "failover (signal -> first ack)", "median s",
             "min s", "max s");
  for (int signo : {SIGKILL, SIGSTOP}) {
    std::vector<double> samples;
    for (int i = 0; i < failover_reps; ++i) {
      double s = MeasureFailover(e, signo);
      if (s < 0) {
        fmt::print(stderr, "failover run {} failed\n", i);
        continue;
      }
      samples.push_back(s);
    }
    if (samples.empty()) continue;
    fmt::print("{:<34} {:>12.3f} {:>10.3f} {:>10.3f}\n",
               signo == SIGKILL ? "SIGKILL leader" : "SIGSTOP leader", Median(samples),
               *std::min_element(samples.begin(), samples.end()),
               *std::max_element(samples.begin(), samples.end()));
    std::fflush(stdout);
  }
  return 0;
}
