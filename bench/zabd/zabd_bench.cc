// zabd_bench: throughput, latency and failover of a real 3-node zabd cluster on loopback, fsync
// on (zabd always fsyncs before it acknowledges). Not part of ctest.
//
//   build/bin/zabd_bench [--zabd build/bin/zabd] [--seconds 3] [--reps 3] [--failover-reps 5]
//                        [--clients 1 4 16 64] [--no-reads]
//
// Clients are synchronous (one request in flight each), spread round-robin over the nodes, with
// 128-byte values (each writer cycles over 100 keys of its own); writes at followers are forwarded
// to the leader. Failover is measured under a light write load: the time from the signal to the
// leader to the first acknowledged write through a surviving node.
//
// Each write row also prints the leader's CPU time per write (utime+stime from /proc, all reps
// of the row; in brackets the system share, mostly fdatasync and socket calls) and its fsyncs
// per write (INFO `fsyncs`), and fdatasync latency is probed in the cluster's directory before
// and after the write rows: the ceilings under the numbers. Beside them, the two followers' CPU
// per write (together) and the peer frames every node sent per write (INFO peer_frames_sent),
// which does not move with the machine's load. The node pids are printed first, for
// `perf record -p` / `strace -c -p` while the rows run. The zabd
// children die with the bench, however it dies (ZabdCluster: PR_SET_PDEATHSIG).
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <numeric>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "tests/e2e/zabd/cluster.h"

namespace {

using zabd::RespValue;
using zabd::testing::ClusterOptions;
using zabd::testing::RespClient;
using zabd::testing::ZabdCluster;
using Clock = std::chrono::steady_clock;

// Each writer overwrites its own small key set, so the replicated state (and the snapshots
// zabd takes every snapshot_every commits) stays bounded however long the run.
constexpr uint64_t kKeysPerWriter = 100;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

struct RunResult {
  uint64_t ops = 0;
  double ops_per_s = 0;
  double p50_ms = 0, p99_ms = 0;
  uint64_t errors = 0;
  std::string first_error;  // of the first client that saw one
};

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p * v.size()));
  std::nth_element(v.begin(), v.begin() + i, v.end());
  return v[i];
}

bool IsOk(const faultline::Result<RespValue>& r, bool write) {
  if (!r.ok() || r->kind == RespValue::Kind::kError) return false;
  return !write || (r->kind == RespValue::Kind::kSimple && r->str == "OK");
}

// `clients` synchronous clients for `seconds`; op(i, client, n) issues one op.
RunResult RunLoad(ZabdCluster& cluster, int clients, double seconds, bool write,
                  const std::string& read_mode, int keys) {
  std::atomic<bool> stop{false};
  std::vector<std::vector<double>> latencies(clients);
  std::vector<uint64_t> errors(clients, 0);
  std::vector<std::string> first_error(clients);
  std::vector<std::thread> threads;
  const std::string value(128, 'v');
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      const int node = 1 + t % cluster.size();
      auto c = cluster.Connect(node, 5000);
      if (!c.ok()) {
        ++errors[t];
        return;
      }
      if (!write) (void)c->Call({"READMODE", read_mode});
      std::mt19937 rng(t);
      uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        auto start = Clock::now();
        faultline::Result<RespValue> r =
            write ? c->Call({"SET", fmt::format("w{}-{}", t, n++ % kKeysPerWriter), value})
                  : c->Call({"GET", fmt::format("key{}", rng() % keys)});
        if (IsOk(r, write)) {
          latencies[t].push_back(Seconds(Clock::now() - start) * 1000.0);
        } else {
          if (errors[t]++ == 0) {
            first_error[t] = r.ok() ? r->ToString() : r.status().ToString();
          }
          if (!c->connected()) {
            auto again = cluster.Connect(node, 5000);
            if (!again.ok()) return;
            *c = std::move(*again);
            if (!write) (void)c->Call({"READMODE", read_mode});
          }
        }
      }
    });
  }
  const auto begin = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : threads) th.join();
  const double elapsed = Seconds(Clock::now() - begin);
  std::vector<double> all;
  RunResult r;
  for (int t = 0; t < clients; ++t) {
    all.insert(all.end(), latencies[t].begin(), latencies[t].end());
    r.errors += errors[t];
    if (r.first_error.empty()) r.first_error = first_error[t];
  }
  r.ops = all.size();
  r.ops_per_s = all.size() / elapsed;
  r.p50_ms = Percentile(all, 0.50);
  r.p99_ms = Percentile(all, 0.99);
  return r;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// CPU seconds the process has used so far, from /proc/<pid>/stat: user and system (the kernel's
// share: fdatasync, sends, reads); {-1, -1} if gone.
struct Cpu {
  double user = -1, system = -1;
  bool ok() const { return user >= 0; }
};
Cpu CpuSeconds(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream fields(stat.substr(close + 2));
  std::string f;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stod(f);
    if (i == 15) stime = std::stod(f);
  }
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return {utime / tick, stime / tick};
}

// The node's INFO counter `name`, or -1.
int64_t InfoCounter(ZabdCluster& cluster, int id, const std::string& name) {
  auto c = cluster.Connect(id, 2000);
  if (!c.ok()) return -1;
  auto r = c->Call({"INFO"});
  if (!r.ok() || r->kind == RespValue::Kind::kError) return -1;
  const std::string key = "\n" + name + ":";
  const auto at = r->str.find(key);
  if (at == std::string::npos) return -1;
  return std::strtoll(r->str.c_str() + at + key.size(), nullptr, 10);
}

// Waits until every node answers a write (the whole cluster is back in broadcast).
bool WaitHealthy(ZabdCluster& cluster, int deadline_ms) {
  for (int id = 1; id <= cluster.size(); ++id) {
    if (!cluster.SetWithRetry(id, "health", std::to_string(id), deadline_ms).ok()) return false;
  }
  return true;
}

// Signals the leader with `signo` under a light write load; returns seconds from the signal to
// the first acknowledged write through a survivor, or a negative value on failure.
double MeasureFailover(ZabdCluster& cluster, int signo) {
  const int leader = cluster.FindLeader();
  if (leader == 0) return -1;
  std::atomic<bool> stop{false};
  std::vector<std::thread> load;
  for (int t = 0; t < 4; ++t) {
    load.emplace_back([&, t] {
      const int node = (leader + t) % cluster.size() + 1;
      if (node == leader) return;
      uint64_t n = 0;
      while (!stop) {
        auto c = cluster.Connect(node, 1000);
        while (c.ok() && c->connected() && !stop)
          (void)c->Call({"SET", fmt::format("l{}-{}", t, n++), "x"});
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const int survivor = leader % cluster.size() + 1;
  const auto start = Clock::now();
  if (signo == SIGKILL) {
    cluster.Signal(leader, SIGKILL);
  } else {
    ::kill(cluster.pid(leader), SIGSTOP);
  }
  double result = -1;
  int n = 0;
  while (Seconds(Clock::now() - start) < 30) {
    auto c = cluster.Connect(survivor, 1000);
    if (!c.ok()) continue;
    auto r = c->Call({"SET", fmt::format("probe{}", n++), "p"});
    if (IsOk(r, true)) {
      result = Seconds(Clock::now() - start);
      break;
    }
  }
  stop = true;
  for (auto& th : load) th.join();
  if (signo == SIGKILL) {
    (void)cluster.Start(leader);
  } else {
    ::kill(cluster.pid(leader), SIGCONT);
  }
  if (!WaitHealthy(cluster, 30000)) return -1;
  return result;
}

// fdatasync latency of a 128-byte append in `dir` right now: the floor under every write (the
// leader's fsync overlaps its followers', so a write costs one fsync of latency plus the network).
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
  CLI::App app{"zabd_bench: 3-node zabd throughput, latency and failover"};
  std::string zabd = std::string(FAULTLINE_BIN_DIR) + "/zabd";
  double seconds = 3;
  int reps = 3, failover_reps = 5;
  uint64_t tick_ms = 100;
  app.add_option("--zabd", zabd, "zabd binary");
  app.add_option("--seconds", seconds, "seconds per throughput run");
  app.add_option("--reps", reps, "repetitions per throughput row (median reported)");
  app.add_option("--failover-reps", failover_reps, "repetitions per failover row");
  app.add_option("--tick-time-ms", tick_ms, "tickTime of the cluster (sync_limit 5, init 10)");
  bool failover_only = false;
  app.add_flag("--failover-only", failover_only, "skip the throughput rows");
  std::vector<int> client_counts{1, 4, 16, 64};
  app.add_option("--clients", client_counts,
                 "client counts of the SET rows (e.g. --clients 16 64)");
  bool no_reads = false;
  app.add_flag("--no-reads", no_reads, "skip the GET rows");
  CLI11_PARSE(app, argc, argv);

  ClusterOptions options;
  options.tick_time_ms = tick_ms;
  options.log_level = "warn";
  ZabdCluster cluster(zabd, options);
  if (!cluster.StartAll().ok() || !WaitHealthy(cluster, 30000)) {
    fmt::print(stderr, "cluster did not come up; see {}\n", cluster.dir());
    return 1;
  }
  fmt::print(
      "zabd_bench: 3 nodes on loopback, fsync on, 128-byte values, tickTime {} ms, "
      "{} s x {} reps per row (median), {} hardware threads\n\n",
      tick_ms, seconds, reps, std::thread::hardware_concurrency());
  auto [fsync_p50, fsync_p99] = FsyncP50P99Ms(cluster.dir());
  fmt::print("fdatasync of 128 bytes in {} right now: p50 {:.3f} ms, p99 {:.3f} ms\n\n",
             cluster.dir(), fsync_p50, fsync_p99);
  for (int id = 1; id <= cluster.size(); ++id) {
    fmt::print("node {}: pid {}, clients on {}:{}{}\n", id, cluster.pid(id), cluster.host(id),
               cluster.client_port(id), cluster.FindLeader() == id ? " (leader)" : "");
  }
  std::fflush(stdout);  // the pids are for `perf record -p` while the rows run
  fmt::print("\n{:<34} {:>12} {:>10} {:>10} {:>8} {:>22} {:>14} {:>16} {:>12}\n", "workload",
             "ops/s", "p50 ms", "p99 ms", "errors", "leader CPU us/op", "leader fsync/op",
             "followers us/op", "frames/op");
  auto row = [&](const std::string& name, bool write, int clients, const std::string& mode) {
    std::vector<RunResult> runs;
    const int leader = cluster.FindLeader();
    const Cpu cpu_before = leader ? CpuSeconds(cluster.pid(leader)) : Cpu{};
    // Both followers together: on 2 cores they share the CPU with the leader and the clients.
    auto followers_cpu = [&] {
      double total = 0;
      for (int id = 1; id <= cluster.size(); ++id) {
        if (id == leader) continue;
        const Cpu c = CpuSeconds(cluster.pid(id));
        if (!c.ok()) return -1.0;
        total += c.user + c.system;
      }
      return total;
    };
    const double followers_before = followers_cpu();
    // Peer frames sent by every node (INFO peer_frames_sent): messages per write, load-blind.
    auto frames_sent = [&] {
      int64_t total = 0;
      for (int id = 1; id <= cluster.size(); ++id) {
        const int64_t n = InfoCounter(cluster, id, "peer_frames_sent");
        if (n < 0) return int64_t{-1};
        total += n;
      }
      return total;
    };
    const int64_t frames_before = frames_sent();
    const int64_t fsyncs_before = leader ? InfoCounter(cluster, leader, "fsyncs") : -1;
    for (int i = 0; i < reps; ++i)
      runs.push_back(RunLoad(cluster, clients, seconds, write, mode, 1000));
    uint64_t ops = 0;
    for (const auto& r : runs) ops += r.ops;
    std::string cpu = "-", fsyncs = "-", followers = "-", frames = "-";
    if (leader != 0 && cluster.FindLeader() == leader && ops > 0) {
      const Cpu cpu_after = CpuSeconds(cluster.pid(leader));
      const int64_t fsyncs_after = InfoCounter(cluster, leader, "fsyncs");
      if (cpu_before.ok() && cpu_after.ok()) {
        const double user = (cpu_after.user - cpu_before.user) * 1e6 / ops;
        const double sys = (cpu_after.system - cpu_before.system) * 1e6 / ops;
        cpu = fmt::format("{:.1f} ({:.0f} sys)", user + sys, sys);
      }
      const double followers_after = followers_cpu();
      if (followers_before >= 0 && followers_after >= 0) {
        followers = fmt::format("{:.1f}", (followers_after - followers_before) * 1e6 / ops);
      }
      const int64_t frames_after = frames_sent();
      if (frames_before >= 0 && frames_after >= 0) {
        frames = fmt::format("{:.2f}", static_cast<double>(frames_after - frames_before) / ops);
      }
      if (fsyncs_before >= 0 && fsyncs_after >= 0) {
        fsyncs = fmt::format("{:.3f}", static_cast<double>(fsyncs_after - fsyncs_before) / ops);
      }
    }
    std::sort(runs.begin(), runs.end(),
              [](const RunResult& a, const RunResult& b) { return a.ops_per_s < b.ops_per_s; });
    const RunResult& m = runs[runs.size() / 2];
    uint64_t errors = 0;
    for (const auto& r : runs) errors += r.errors;
    fmt::print("{:<34} {:>12.0f} {:>10.3f} {:>10.3f} {:>8} {:>22} {:>14} {:>16} {:>12}\n", name,
               m.ops_per_s, m.p50_ms, m.p99_ms, errors, cpu, fsyncs, followers, frames);
    for (const auto& r : runs) {
      if (!r.first_error.empty()) {
        fmt::print("    first error: {}\n", r.first_error.substr(0, 160));
        break;
      }
    }
    std::fflush(stdout);
  };
  for (int clients : client_counts) {
    if (failover_only) break;
    row(fmt::format("SET, {} clients", clients), true, clients, "");
  }
  if (!failover_only) {
    auto [after_p50, after_p99] = FsyncP50P99Ms(cluster.dir());
    fmt::print("fdatasync after the write rows: p50 {:.3f} ms, p99 {:.3f} ms\n", after_p50,
               after_p99);
  }
  for (int i = 0; i < (failover_only || no_reads ? 0 : 1000); ++i) {
    if (!cluster.SetWithRetry(1 + i % 3, fmt::format("key{}", i), std::string(128, 'r'), 10000)
             .ok()) {
      fmt::print(stderr, "populating keys failed\n");
      return 1;
    }
  }
  for (const char* mode : {"linearizable", "sync", "local"}) {
    if (failover_only || no_reads) break;
    row(fmt::format("GET {}, 16 clients", mode), false, 16, mode);
  }
  fmt::print("\n{:<34} {:>12} {:>10} {:>10}\n", "failover (signal -> first ack)", "median s",
             "min s", "max s");
  for (int signo : {SIGKILL, SIGSTOP}) {
    std::vector<double> samples;
    for (int i = 0; i < failover_reps; ++i) {
      double s = MeasureFailover(cluster, signo);
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
