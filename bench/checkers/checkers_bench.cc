// checkers_bench [DATA_DIR] [--reps N]: per-file import + check time (median of N runs, each in a
// fresh child process), verdict, states and the child's peak RSS, for Porcupine's 6 kv files
// (plus c50-bad key by key) and Knossos's histories. DATA_DIR defaults to
// ../shared/linearizability-data beside the source tree.
// checkers_bench --etcd DIR [--expect FILE] [--reps N] [--shrink]: Jepsen etcd logs (Porcupine's
// test_data/jepsen) all checked in this one process; see BenchEtcd.
// checkers_bench --nightly [--ops N] [--stale W] [--reps N]: a generated nightly-size history
// with one anomaly, checked and shrunk; see NightlyHistory.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "checkers/checkers.h"
#include "checkers/import/import.h"
#include "checkers/tests/generated_history.h"

namespace fs = std::filesystem;
using faultline::checkers::Budget;
using faultline::checkers::CheckLinearizable;
using faultline::checkers::ModelKind;
using faultline::checkers::ModelOptions;
using faultline::checkers::VerdictName;

namespace {

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Measure {
  double seconds = 0;  // import + check wall time, inside the child
  double import_seconds = 0;
  double cpu_seconds = 0;  // the child's user + system CPU (robust on a loaded machine)
  long peak_rss_kb = 0;
  std::string verdict;
  long long states = 0;
};

// Imports and checks `file` in a child process; the child writes "verdict seconds states".
Measure RunOnce(const fs::path& file, const std::string& model, bool per_key) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    auto start = std::chrono::steady_clock::now();
    ModelOptions m;
    Budget budget;
    budget.shrink = false;
    budget.time_limit_ms = 60'000;
    faultline::Result<faultline::checkers::History> h = faultline::Status::InvalidArgument("x");
    if (model == "kv") {
      m.kind = ModelKind::kKv;
      h = faultline::checkers::ImportPorcupineKv(Slurp(file), file.string());
    } else {
      faultline::checkers::ParseModelKind(model, &m.kind);
      m.nil_read_matches_anything = true;
      h = faultline::checkers::ImportJepsenEdn(Slurp(file), file.string(), m.kind);
      if (m.kind == ModelKind::kMultiRegister && h.ok()) h->initial_value = "0";
    }
    double import_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::string out;
    if (!h.ok()) {
      out = "error 0 0\n";
    } else {
      if (per_key) budget.threads = 1;
      auto r = CheckLinearizable(*h, m, budget);
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      out = std::string(VerdictName(r.verdict)) + " " + std::to_string(s) + " " +
            std::to_string(r.states_explored) + " " + std::to_string(import_s) + "\n";
      if (per_key) {
        for (const auto& k : r.keys) {
          out += "  key " + k.key + ": " + std::string(VerdictName(k.verdict)) + " " +
                 std::to_string(k.seconds) + " s, " + std::to_string(k.states_explored) +
                 " states, " + std::to_string(k.ops) + " ops\n";
        }
      }
    }
    (void)!write(fds[1], out.data(), out.size());
    _exit(0);
  }
  close(fds[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;)
    text.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  Measure m;
  std::istringstream in(text);
  in >> m.verdict >> m.seconds >> m.states >> m.import_seconds;
  m.peak_rss_kb = ru.ru_maxrss;
  m.cpu_seconds = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                  static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  std::string rest;
  std::getline(in, rest);
  for (std::string line; std::getline(in, line);) std::printf("%s\n", line.c_str());
  return m;
}

long PeakRssKb() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

Measure Median(const fs::path& file, const std::string& model, int reps) {
  std::vector<Measure> ms;
  for (int i = 0; i < reps; ++i) ms.push_back(RunOnce(file, model, false));
  std::sort(ms.begin(), ms.end(),
            [](const Measure& a, const Measure& b) { return a.seconds < b.seconds; });
  Measure m = ms[ms.size() / 2];
  for (const Measure& x : ms) m.peak_rss_kb = std::max(m.peak_rss_kb, x.peak_rss_kb);
  return m;
}

double CpuSeconds() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Expected verdicts: lines "NAME true|false|valid|invalid" (e.g. what Porcupine printed).
std::map<std::string, std::string> ReadExpected(const fs::path& file) {
  std::map<std::string, std::string> out;
  std::ifstream in(file);
  for (std::string name, v; in >> name >> v;) {
    out[name] = v == "true" ? "valid" : v == "false" ? "invalid" : v;
  }
  return out;
}

// --etcd DIR: every etcd_*.log of DIR read, imported and checked in THIS process, one after the
// other, as `faultline check` does with many inputs (Porcupine's 102 Jepsen etcd logs). Prints the
// slowest files, the per-file fixed cost (median of the files that need under 1,000 states) and
// the totals; with --expect FILE every verdict is compared.
int BenchEtcd(const fs::path& dir, const fs::path& expect, int reps, bool shrink) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("etcd_", 0) == 0 && e.path().extension() == ".log") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::printf("no etcd_*.log in %s\n", dir.c_str());
    return 2;
  }
  std::map<std::string, std::string> expected;
  if (!expect.empty()) expected = ReadExpected(expect);
  struct PerFile {
    std::string name, verdict;
    double seconds = 1e9;  // best of the reps
    long long states = 0;
  };
  std::vector<PerFile> per(files.size());
  std::vector<double> walls, cpus;
  for (int rep = 0; rep < reps; ++rep) {
    const double cpu0 = CpuSeconds();
    const auto t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < files.size(); ++i) {
      const auto f0 = std::chrono::steady_clock::now();
      auto h = faultline::checkers::ImportEtcdLog(Slurp(files[i]), files[i].string());
      PerFile& p = per[i];
      p.name = files[i].filename().string();
      if (!h.ok()) {
        p.verdict = "error";
        continue;
      }
      ModelOptions m;  // the etcd-log default of `faultline check`
      m.kind = ModelKind::kCasRegister;
      Budget budget;
      budget.shrink = shrink;
      auto r = CheckLinearizable(*h, m, budget);
      p.verdict = std::string(VerdictName(r.verdict));
      p.states = r.states_explored;
      p.seconds = std::min(
          p.seconds, std::chrono::duration<double>(std::chrono::steady_clock::now() - f0).count());
    }
    walls.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    cpus.push_back(CpuSeconds() - cpu0);
  }
  int wrong = 0, valid = 0;
  long long states = 0;
  std::vector<double> easy;
  for (const PerFile& p : per) {
    valid += p.verdict == "valid";
    states += p.states;
    if (p.states < 1000) easy.push_back(p.seconds);
    auto it = expected.find(p.name);
    if (it != expected.end() && it->second != p.verdict) {
      ++wrong;
      std::printf("  WRONG %s: %s, expected %s\n", p.name.c_str(), p.verdict.c_str(),
                  it->second.c_str());
    }
  }
  std::vector<PerFile> slow = per;
  std::sort(slow.begin(), slow.end(),
            [](const PerFile& a, const PerFile& b) { return a.seconds > b.seconds; });
  std::printf("slowest (best of %d):\n", reps);
  for (size_t i = 0; i < std::min<size_t>(5, slow.size()); ++i) {
    std::printf("  %-14s %-8s %9.5f s %9lld states\n", slow[i].name.c_str(),
                slow[i].verdict.c_str(), slow[i].seconds, slow[i].states);
  }
  std::sort(easy.begin(), easy.end());
  std::sort(walls.begin(), walls.end());
  std::sort(cpus.begin(), cpus.end());
  std::printf("per-file fixed cost (median of the %zu files under 1,000 states): %.1f us\n",
              easy.size(), easy.empty() ? 0.0 : easy[easy.size() / 2] * 1e6);
  std::printf(
      "%zu files, %d valid, %s, %lld states: one pass %.4f s wall (median of %d; best %.4f), "
      "%.4f s cpu; peak RSS %.1f MB\n",
      files.size(), valid,
      expected.empty() ? "verdicts not compared"
                       : (wrong == 0 ? "every verdict as expected" : "SOME VERDICTS WRONG"),
      states, walls[walls.size() / 2], reps, walls[0], cpus[cpus.size() / 2], PeakRssKb() / 1024.0);
  return wrong == 0 ? 0 : 1;
}

int BenchNightlyShrink(int ops, int keys, int stale_writes, int reps) {
  std::printf(
      "checkers_bench --nightly: %d ops over %d keys, one stale read %d writes back in key 0, "
      "checked with shrinking (what `faultline check` does), best of %d\n",
      ops, keys, stale_writes, reps);
  faultline::checkers::History h =
      faultline::checkers::testing::NightlyHistory(ops, keys, stale_writes, 42);
  if (const char* file = std::getenv("CHECKERS_BENCH_EXPORT")) {  // to inspect it by hand
    std::ofstream(file) << faultline::checkers::ExportJsonl(h);
  }
  double best = 1e9;
  faultline::checkers::LinearizabilityResult best_r;
  for (int rep = 0; rep < reps; ++rep) {
    ModelOptions m;
    m.kind = ModelKind::kCasRegister;
    Budget budget;
    const auto t0 = std::chrono::steady_clock::now();
    auto r = CheckLinearizable(h, m, budget);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s < best) {
      best = s;
      best_r = std::move(r);
    }
  }
  std::printf("verdict %s in %.3f s wall (all keys, %lld states), peak RSS %.1f MB\n",
              std::string(VerdictName(best_r.verdict)).c_str(), best,
              static_cast<long long>(best_r.states_explored), PeakRssKb() / 1024.0);
  for (const auto& k : best_r.keys) {
    if (k.verdict == faultline::checkers::Verdict::kValid) {
      std::printf("key %s: valid, %lld ops, %.3f s, %lld states\n", k.key.c_str(),
                  static_cast<long long>(k.ops), k.seconds,
                  static_cast<long long>(k.states_explored));
      continue;
    }
    if (k.verdict == faultline::checkers::Verdict::kUnknown) {
      std::printf("key %s: unknown, %lld ops, %.3f s: %s\n", k.key.c_str(),
                  static_cast<long long>(k.ops), k.seconds, k.reason.c_str());
      continue;
    }
    std::printf("key %s: %lld ops, %.3f s (search + shrink), shrunk to %zu ops: %s\n",
                k.key.c_str(), static_cast<long long>(k.ops), k.seconds, k.minimal_ops.size(),
                k.reason.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  fs::path data = FAULTLINE_SOURCE_DIR "/../shared/linearizability-data";
  fs::path etcd, expect;
  int reps = 5;
  bool shrink = false, nightly = false;
  int nightly_ops = 108'000, stale = 50;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--reps" && i + 1 < argc) {
      reps = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--etcd" && i + 1 < argc) {
      etcd = argv[++i];
    } else if (a == "--expect" && i + 1 < argc) {
      expect = argv[++i];
    } else if (a == "--shrink") {
      shrink = true;
    } else if (a == "--nightly") {
      nightly = true;
    } else if (a == "--ops" && i + 1 < argc) {
      nightly_ops = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--stale" && i + 1 < argc) {
      stale = std::max(0, std::atoi(argv[++i]));
    } else {
      data = a;
    }
  }
  if (nightly) return BenchNightlyShrink(nightly_ops, 10, stale, reps);
  if (!etcd.empty()) {
    std::printf("checkers_bench --etcd %s: every file in this one process, %s\n", etcd.c_str(),
                shrink ? "shrinking invalid keys" : "verdicts only (--shrink to shrink)");
    return BenchEtcd(etcd, expect, reps, shrink);
  }
  if (!fs::exists(data)) {
    std::printf("no data at %s\n", data.c_str());
    return 2;
  }
  std::printf("checkers_bench: %s, median of %d runs, each file in a fresh process\n", data.c_str(),
              reps);
  std::printf("\n== porcupine kv (import + check; Porcupine ~0.15 s checking for all 6)\n");
  double total = 0, total_cpu = 0, total_import = 0;
  std::printf("%-10s %-8s %10s %10s %10s %9s %s\n", "file", "verdict", "wall s", "import s",
              "cpu s", "states", "peak RSS");
  for (const char* name : {"c01-ok", "c01-bad", "c10-ok", "c10-bad", "c50-ok", "c50-bad"}) {
    fs::path f = data / "porcupine/kv" / (std::string(name) + ".txt");
    if (!fs::exists(f)) continue;
    Measure m = Median(f, "kv", reps);
    total += m.seconds;
    total_cpu += m.cpu_seconds;
    total_import += m.import_seconds;
    std::printf("%-10s %-8s %10.4f %10.4f %10.4f %9lld %6.1f MB\n", name, m.verdict.c_str(),
                m.seconds, m.import_seconds, m.cpu_seconds, m.states, m.peak_rss_kb / 1024.0);
  }
  std::printf("%-10s %-8s %10.4f %10.4f %10.4f\n", "total", "", total, total_import, total_cpu);
  fs::path c50 = data / "porcupine/kv/c50-bad.txt";
  if (fs::exists(c50)) {
    std::printf("\n== c50-bad key by key (one thread, every key checked on its own)\n");
    Measure m = RunOnce(c50, "kv", true);
    std::printf("all keys: %s in %.4f s\n", m.verdict.c_str(), m.seconds);
  }
  std::printf("\n== knossos (import + check per file)\n");
  for (const char* model : {"cas-register", "multi-register", "mutex"}) {
    for (const char* kind : {"good", "bad"}) {
      fs::path dir = data / "knossos" / model / kind;
      if (!fs::exists(dir)) continue;
      std::vector<fs::path> files;
      for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().extension() == ".edn") files.push_back(e.path());
      }
      std::sort(files.begin(), files.end());
      double sum = 0, worst = 0, cpu = 0;
      long rss = 0;
      int right = 0;
      std::string worst_name;
      for (const fs::path& f : files) {
        Measure m = Median(f, model, std::min(reps, 3));
        sum += m.seconds;
        cpu += m.cpu_seconds;
        rss = std::max(rss, m.peak_rss_kb);
        bool ok = m.verdict == (std::string(kind) == "good" ? "valid" : "invalid");
        right += ok;
        if (!ok) std::printf("  WRONG %s: %s\n", f.c_str(), m.verdict.c_str());
        if (m.seconds > worst) {
          worst = m.seconds;
          worst_name = f.filename().string();
        }
      }
      std::printf(
          "%-15s %-4s %3zu files, %3d right, total %.4f s wall %.4f s cpu, slowest %s "
          "%.4f s, peak RSS %.1f MB\n",
          model, kind, files.size(), right, sum, cpu, worst_name.c_str(), worst, rss / 1024.0);
    }
  }
  std::printf("\n== Jepsen etcd logs: not in %s; run checkers_bench --etcd DIR (one process)\n",
              data.c_str());
  return 0;
}
