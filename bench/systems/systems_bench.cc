// systems_bench: zabd, ZooKeeper and etcd side by side, measured by one yardstick: faultline's
// own history. Runs `faultline run bench/systems/speed.yaml --system KIND` once per system and
// reads the run's SQLite store. Never part of ctest; run by hand (README "Speed, side by side").
//
//   build/bin/systems_bench [--faultline build/bin/faultline] [--systems zabd,zookeeper,etcd]
//                           [--suite bench/systems/speed.yaml] [--out DIR]
//
// Measured, per system:
//   ops/s    ok ops completed per second during the steady phase (before the first fault)
//   p50/p99  latency (complete - invoke) of the ok ops of the steady phase, reads and writes
//   failover for each kill / pause of the leader: time from the moment the fault took effect
//            (the fault's applied_ns: SIGKILLed leader reaped / SIGSTOP delivered) to the
//            completion of the first write invoked after it and acknowledged (ok); median of the
//            faults of that kind (the suite has 5 of each). "-" when no write was acknowledged.
// Correctness is not judged here: the verdict is printed so a fast-but-wrong run is visible.
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Db {
  sqlite3* h = nullptr;
  explicit Db(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      sqlite3_close(h);
      h = nullptr;
    }
  }
  ~Db() { sqlite3_close(h); }
  // Rows of int64 columns.
  std::vector<std::vector<int64_t>> Ints(const std::string& sql) const {
    std::vector<std::vector<int64_t>> rows;
    sqlite3_stmt* st = nullptr;
    if (h && sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK) {
      while (sqlite3_step(st) == SQLITE_ROW) {
        std::vector<int64_t> row;
        for (int c = 0; c < sqlite3_column_count(st); ++c)
          row.push_back(sqlite3_column_int64(st, c));
        rows.push_back(std::move(row));
      }
    }
    sqlite3_finalize(st);
    return rows;
  }
  std::string Text(const std::string& sql) const {
    std::string out;
    sqlite3_stmt* st = nullptr;
    if (h && sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(st, 0);
      out = t ? reinterpret_cast<const char*>(t) : "";
    }
    sqlite3_finalize(st);
    return out;
  }
};

// Runs argv with stdout+stderr to `log`; returns the exit code.
int Run(std::vector<std::string> argv, const std::string& log) {
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    FILE* f = freopen(log.c_str(), "w", stdout);
    (void)f;
    dup2(fileno(stdout), STDERR_FILENO);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

double Percentile(std::vector<int64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return static_cast<double>(v[std::min(i, v.size() - 1)]);
}

std::string Median(std::vector<double> v) {
  if (v.empty()) return "-";
  std::sort(v.begin(), v.end());
  double m = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  return fmt::format("{:.0f} ms", m);
}

struct Row {
  std::string system;
  int exit_code = -1;
  std::string verdict;
  double ops_per_s = 0, p50_ms = 0, p99_ms = 0;
  std::vector<double> kill_ms, pause_ms;
  int kills = 0, pauses = 0;
  std::string note;
};

Row Measure(const std::string& system, const std::string& store) {
  Row r;
  r.system = system;
  Db db(store);
  auto run = db.Ints("SELECT MAX(id) FROM runs");
  if (run.empty() || run[0][0] == 0) {
    r.note = "no run in the store";
    return r;
  }
  const std::string id = std::to_string(run[0][0]);
  r.verdict = db.Text("SELECT verdict FROM runs WHERE id = " + id);
  // A node that died on its own (a "crash" fault row) makes every number below meaningless.
  auto crashes = db.Ints("SELECT COUNT(*) FROM faults WHERE kind = 'crash' AND run_id = " + id);
  if (!crashes.empty() && crashes[0][0] > 0) {
    r.note = fmt::format(
        "{} node(s) crashed on their own during the run: not measured (see the node folders)",
        crashes[0][0]);
  }
  auto first_fault =
      db.Ints("SELECT MIN(start_ns) FROM faults WHERE kind != 'crash' AND run_id = " + id);
  auto first_op =
      db.Ints("SELECT MIN(invoke_ns) FROM ops WHERE run_id = " + id + " AND process < 1000000000");
  if (first_op.empty() || first_fault.empty()) return r;
  // Steady phase: from 1 s after the first op (connections warmed up) to the first fault.
  const int64_t from = first_op[0][0] + 1'000'000'000;
  const int64_t to = first_fault[0][0] > 0 ? first_fault[0][0] : INT64_MAX;
  auto lat = db.Ints(fmt::format(
      "SELECT complete_ns - invoke_ns FROM ops WHERE run_id = {} AND outcome = 'ok' AND "
      "process < 1000000000 AND invoke_ns >= {} AND complete_ns <= {}",
      id, from, to));
  std::vector<int64_t> ns;
  for (const auto& row : lat) ns.push_back(row[0]);
  if (to > from && !ns.empty()) {
    r.ops_per_s = static_cast<double>(ns.size()) / (static_cast<double>(to - from) / 1e9);
    r.p50_ms = Percentile(ns, 0.50) / 1e6;
    r.p99_ms = Percentile(ns, 0.99) / 1e6;
  }
  // From when the fault took effect (applied_ns: the leader found and signalled; a killed leader
  // reaped), not from when the attempt began: writes acknowledged while the nemesis was still
  // asking who leads must not count as a failover.
  for (const auto& f : db.Ints(
           "SELECT COALESCE(json_extract(detail, '$.applied_ns'), start_ns), kind = 'kill' FROM "
           "faults WHERE run_id = " +
           id + " AND kind IN ('kill', 'pause') ORDER BY start_ns")) {
    (f[1] ? r.kills : r.pauses)++;
    auto next = db.Ints(fmt::format(
        "SELECT MIN(complete_ns) FROM ops WHERE run_id = {} AND f IN ('write', 'cas') AND "
        "outcome = 'ok' AND invoke_ns >= {}",
        id, f[0]));
    if (next.empty() || next[0][0] == 0) continue;
    (f[1] ? r.kill_ms : r.pause_ms).push_back(static_cast<double>(next[0][0] - f[0]) / 1e6);
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"zabd, ZooKeeper and etcd side by side, measured from faultline's own history"};
  const fs::path self = fs::read_symlink("/proc/self/exe").parent_path();
  std::string faultline = (self / "faultline").string();
  std::string systems = "zabd,zookeeper,etcd";
  std::string suite = std::string(FAULTLINE_SOURCE_DIR) + "/bench/systems/speed.yaml";
  std::string out;
  app.add_option("--faultline", faultline, "the faultline binary");
  app.add_option("--systems", systems, "comma-separated system kinds");
  app.add_option("--suite", suite, "the suite every system runs");
  app.add_option("--out", out, "folder for the stores, run folders and logs (default: a temp dir)");
  CLI11_PARSE(app, argc, argv);
  if (out.empty()) {
    std::string t = (fs::temp_directory_path() / "systems_bench.XXXXXX").string();
    out = mkdtemp(t.data());
  }
  fs::create_directories(out);
  std::vector<Row> rows;
  size_t pos = 0;
  while (pos <= systems.size()) {
    size_t comma = systems.find(',', pos);
    if (comma == std::string::npos) comma = systems.size();
    const std::string kind = systems.substr(pos, comma - pos);
    pos = comma + 1;
    if (kind.empty()) continue;
    // One store and one results folder per system: run ids restart at 1 in every store, so a
    // shared results folder would hand the second system the first one's node folders.
    const std::string store = out + "/" + kind + ".db";
    const std::string results = out + "/" + kind;
    const std::string log = out + "/" + kind + ".txt";
    fmt::print(stderr, "running {} (log {})\n", kind, log);
    int code = Run(
        {faultline, "--store", store, "--results", results, "run", suite, "--system", kind}, log);
    Row r = Measure(kind, store);
    r.exit_code = code;
    if (r.verdict.empty()) r.note = "did not run: see " + log;
    rows.push_back(std::move(r));
  }
  fmt::print("suite {} (faultline's history; steady phase = before the first fault)\n", suite);
  fmt::print("{:<10} {:>9} {:>9} {:>9} {:>20} {:>20}  {}\n", "system", "ops/s", "p50", "p99",
             "failover SIGKILL", "failover SIGSTOP", "verdict");
  for (const Row& r : rows) {
    if (!r.note.empty()) {
      fmt::print("{:<10} {}\n", r.system, r.note);
      continue;
    }
    fmt::print(
        "{:<10} {:>9.0f} {:>6.1f} ms {:>6.1f} ms {:>12} (n={}) {:>12} (n={})  {} (exit {})\n",
        r.system, r.ops_per_s, r.p50_ms, r.p99_ms, Median(r.kill_ms), r.kill_ms.size(),
        Median(r.pause_ms), r.pause_ms.size(), r.verdict, r.exit_code);
  }
  return 0;
}
