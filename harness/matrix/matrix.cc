// The detection matrix (matrix.h): running the runs, judging them from the store, the table.
#include "harness/matrix/matrix.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "harness/history/history_store.h"
#include "harness/scenario/runner.h"
#include "harness/scenario/scenario.h"
#include "harness/spec/test_spec.h"

namespace faultline::harness {
namespace {

namespace fs = std::filesystem;

std::string OneLine(std::string s, size_t max = 110) {
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '|') c = ' ';
  }
  if (s.size() > max) s = s.substr(0, max - 3) + "...";
  return s;
}

std::string Seconds(int64_t ms) { return fmt::format("{:.1f} s", ms / 1000.0); }

std::string SelfPath() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "faultline" : self.string();
}

std::string DefaultZabdPath() { return (fs::path(SelfPath()).parent_path() / "zabd").string(); }

// Runs `argv` with stdout and stderr to `log`; returns its exit code (128+signal), -1 if it could
// not start. Waits for it: nothing outlives the call.
int Spawn(const std::vector<std::string>& argv, const std::string& log) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0].c_str(), &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The run id a `faultline run` printed first ("run 12: suite ..."), 0 if none.
int64_t PrintedRunId(const std::string& log) {
  std::ifstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("run ", 0) == 0) {
      try {
        return std::stoll(line.substr(4));
      } catch (const std::exception&) {
        return 0;
      }
    }
  }
  return 0;
}

// The checks of a finished run as JudgeRun wants them.
Result<std::pair<std::vector<StoredCheck>, int64_t>> LoadJudgement(const std::string& store_path,
                                                                   int64_t run_id) {
  auto store = HistoryStore::OpenExisting(store_path);
  if (!store.ok()) return store.status();
  auto checks = (*store)->LoadChecks(run_id);
  if (!checks.ok()) return checks.status();
  auto history = (*store)->LoadHistory(run_id);
  if (!history.ok()) return history.status();
  std::map<int64_t, int64_t> invoke_ns;
  int64_t first = std::numeric_limits<int64_t>::max();
  for (const auto& op : history->ops) {
    invoke_ns[op.index] = op.invoke_ns;
    first = std::min(first, op.invoke_ns);
  }
  std::vector<StoredCheck> out;
  for (const CheckRecord& c : *checks) {
    StoredCheck s{c.checker, c.verdict, {}};
    for (const auto& a : c.anomalies) {
      StoredCheck::Anomaly x{a.description, a.start_ns, {}, a.observation, a.end_ns};
      for (int64_t i : a.ops) {
        if (auto it = invoke_ns.find(i); it != invoke_ns.end())
          x.op_invoke_ns.push_back(it->second);
      }
      s.anomalies.push_back(std::move(x));
    }
    out.push_back(std::move(s));
  }
  return std::make_pair(std::move(out), first == std::numeric_limits<int64_t>::max() ? 0 : first);
}

int64_t Median(std::vector<int64_t> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string Links(const std::vector<const MatrixRun*>& runs, const std::string& results_dir) {
  std::vector<std::string> out;
  for (const MatrixRun* r : runs) {
    if (r->run_id == 0) {
      out.push_back("error");
      continue;
    }
    // The folder the run row recorded: a run folder is runs/<id>, or runs/<id>-2 when another
    // store sharing this results folder took runs/<id> first (fefe78f).
    const std::string folder =
        r->folder.empty() ? fmt::format("{}/runs/{}", results_dir, r->run_id) : r->folder;
    out.push_back(fmt::format("[{}{}]({}/report.html)", r->run_id, r->detected ? "!" : "", folder));
  }
  return out.empty() ? "-" : fmt::format("{}", fmt::join(out, " "));
}

}  // namespace

void JudgeRun(const std::vector<StoredCheck>& checks, int64_t first_op_ns, MatrixRun* run) {
  run->fired.clear();
  run->detected = false;
  run->detect_ms.reset();
  int64_t earliest = std::numeric_limits<int64_t>::max();
  std::string first_summary;
  for (const StoredCheck& c : checks) {
    if (c.verdict != "invalid") continue;
    run->fired.push_back(c.checker);
    for (const StoredCheck::Anomaly& a : c.anomalies) {
      if (a.observation) continue;
      // When it was witnessed: the end of its range, else its start, else its latest op.
      int64_t at = a.end_ns > 0 ? a.end_ns : a.start_ns;
      if (at <= 0 && !a.op_invoke_ns.empty()) {
        at = *std::max_element(a.op_invoke_ns.begin(), a.op_invoke_ns.end());
      }
      if (at <= 0) at = std::numeric_limits<int64_t>::max() - 1;  // not placed in time
      if (at < earliest) {
        earliest = at;
        first_summary = fmt::format("{}: {}", c.checker, a.description);
      }
    }
  }
  run->detected = !run->fired.empty();
  if (!run->detected) return;
  run->summary = OneLine(first_summary.empty() ? run->fired.front() + ": invalid" : first_summary);
  if (earliest < std::numeric_limits<int64_t>::max() - 1 && first_op_ns > 0) {
    run->detect_ms = std::max<int64_t>(0, (earliest - first_op_ns) / 1'000'000);
  }
}

std::string FormatMatrixTable(const MatrixSpec& spec, const std::vector<MatrixRun>& runs,
                              const std::string& results_dir) {
  std::string t;
  t += "| fault point | random suites: detected | median chaos time to detection | checkers that "
       "fired | first anomaly | scenarios: detected | runs (report; ! = detected) |\n";
  t += "|---|---|---|---|---|---|---|\n";
  for (const MatrixPoint& p : spec.points) {
    std::vector<const MatrixRun*> suite_runs, scenario_runs;
    for (const MatrixRun& r : runs) {
      if (r.fault != p.fault) continue;
      (r.scenario ? scenario_runs : suite_runs).push_back(&r);
    }
    if (suite_runs.empty() && scenario_runs.empty()) continue;
    int detected = 0;
    std::vector<int64_t> times;
    std::set<std::string> fired;
    std::string first;
    for (const MatrixRun* r : suite_runs) {
      if (!r->detected) continue;
      ++detected;
      if (r->detect_ms) times.push_back(*r->detect_ms);
      fired.insert(r->fired.begin(), r->fired.end());
      if (first.empty()) first = r->summary;
    }
    int scen_detected = 0;
    for (const MatrixRun* r : scenario_runs) scen_detected += r->detected ? 1 : 0;
    std::string suites_cell =
        suite_runs.empty() ? "no suite" : fmt::format("{} of {}", detected, suite_runs.size());
    if (detected == 0 && scen_detected > 0) suites_cell += " (caught only by a scenario)";
    std::vector<const MatrixRun*> all = suite_runs;
    all.insert(all.end(), scenario_runs.begin(), scenario_runs.end());
    t += fmt::format(
        "| {} | {} | {} | {} | {} | {} | {} |\n", p.fault, suites_cell,
        times.empty() ? "-" : Seconds(Median(times)),
        fired.empty() ? "-" : fmt::format("{}", fmt::join(fired, ", ")),
        first.empty() ? "-" : first,
        scenario_runs.empty() ? "-" : fmt::format("{} of {}", scen_detected, scenario_runs.size()),
        Links(all, results_dir));
  }
  std::vector<const MatrixRun*> correct;
  int alarms = 0, unknown = 0;
  for (const MatrixRun& r : runs) {
    if (!r.fault.empty()) continue;
    correct.push_back(&r);
    alarms += r.detected ? 1 : 0;
    unknown += !r.detected && r.verdict != "valid" ? 1 : 0;
  }
  if (!correct.empty()) {
    t += fmt::format(
        "\n| correct server | runs | false alarms | unknown or error | runs (report; ! = alarm) "
        "|\n|---|---|---|---|---|\n| (no fault point) | {} | {} | {} | {} |\n",
        correct.size(), alarms, unknown, Links(correct, results_dir));
  }
  return t;
}

bool MatrixPassed(const MatrixSpec& spec, const std::vector<MatrixRun>& runs) {
  for (const MatrixPoint& p : spec.points) {
    bool ran = false, caught = false;
    for (const MatrixRun& r : runs) {
      if (r.fault != p.fault) continue;
      ran = true;
      caught |= r.detected;
    }
    if (ran && !caught) return false;
  }
  for (const MatrixRun& r : runs) {
    if (r.fault.empty() && r.detected) return false;
  }
  return true;
}

namespace {

class MatrixRunner {
 public:
  explicit MatrixRunner(const MatrixOptions& o)
      : o_(o),
        out_(o.out ? *o.out : std::cout),
        zabd_(o.zabd_path.empty() ? DefaultZabdPath() : o.zabd_path) {}

  MatrixOutcome Run() {
    MatrixOutcome outcome;
    const MatrixSpec& m = o_.spec;
    // The suites as run (with their fault flags) and each run's output, for post-mortems.
    work_ = fs::path(o_.results_dir) / "matrix" / (m.name + "-" + Stamp());
    std::error_code ec;
    fs::create_directories(work_, ec);
    auto wanted = [&](const std::string& name) {
      return o_.only.empty() || std::count(o_.only.begin(), o_.only.end(), name) > 0;
    };
    for (const MatrixPoint& p : m.points) {
      if (!wanted(p.fault)) continue;
      for (const std::string& suite : p.suites) {
        for (int i = 0; i < m.seeds; ++i) {
          outcome.runs.push_back(RunSuite(p.fault, suite, m.first_seed + i,
                                          p.time_limit_ms ? p.time_limit_ms : m.time_limit_ms));
        }
      }
      for (const std::string& scenario : p.scenarios) {
        outcome.runs.push_back(RunOneScenario(p.fault, scenario));
      }
    }
    if (wanted("correct")) {
      for (const std::string& suite : m.correct_suites) {
        for (int i = 0; i < m.correct_seeds; ++i) {
          outcome.runs.push_back(
              RunSuite("", suite, m.first_seed + i,
                       m.correct_time_limit_ms ? m.correct_time_limit_ms : m.time_limit_ms));
        }
      }
    }
    outcome.table = FormatMatrixTable(m, outcome.runs, o_.results_dir);
    out_ << "\n" << outcome.table;
    outcome.table_path = Store(outcome);
    if (!outcome.table_path.empty()) out_ << "\nstored: " << outcome.table_path << "\n";
    outcome.exit_code = MatrixPassed(m, outcome.runs) ? 0 : 1;
    return outcome;
  }

 private:
  MatrixRun RunSuite(const std::string& fault, const std::string& suite, uint64_t seed,
                     std::optional<int64_t> time_limit_ms) {
    MatrixRun r;
    r.fault = fault;
    r.source = suite;
    r.seed = seed;
    const fs::path path = fs::path(o_.spec.dir) / suite;
    Result<TestSpec> spec = LoadTestSpec(path.string());
    if (!spec.ok()) return Failed(std::move(r), spec.status().message());
    if (spec->system.kind != "zabd") {
      return Failed(std::move(r), "the matrix runs zabd suites only (fault points are zabd's)");
    }
    spec->seed = seed;
    if (time_limit_ms) spec->time_limit_ms = *time_limit_ms;
    if (!fault.empty()) {
      SystemOption& flags = spec->system.options["extra_flags"];
      flags.is_list = true;
      flags.values.push_back("--fault");
      flags.values.push_back(fault);
    }
    // Each run is a `faultline run` of its own: a private network namespace (iptables
    // partitions, as root) is per process, and a run that crashes takes nothing else with it.
    const std::string base = fmt::format("{}-{}-seed{}", fault.empty() ? "correct" : fault,
                                         fs::path(suite).stem().string(), seed);
    const std::string yaml = (work_ / (base + ".yaml")).string();
    const std::string log = (work_ / (base + ".log")).string();
    std::ofstream(yaml) << SpecToYaml(*spec);
    std::vector<std::string> argv = {SelfPath(),     "--store", o_.store_path, "--results",
                                     o_.results_dir, "run",     yaml};
    const int code = Spawn(argv, log);
    r.run_id = PrintedRunId(log);
    if (r.run_id == 0)
      return Failed(std::move(r), fmt::format("faultline run exited {}, no run "
                                              "(see {})",
                                              code, log));
    auto run = HistoryStore::OpenExisting(o_.store_path);
    if (run.ok()) {
      auto rec = (*run)->GetRun(r.run_id);
      if (rec.ok()) {
        r.verdict = rec->verdict.empty() ? rec->status : rec->verdict;
        r.folder = rec->folder;
      }
    }
    if (code == 2 && r.verdict != "unknown") r.error = fmt::format("exit 2 (see {})", log);
    auto judged = LoadJudgement(o_.store_path, r.run_id);
    if (judged.ok()) {
      JudgeRun(judged->first, judged->second, &r);
    } else if (r.error.empty()) {
      r.error = judged.status().ToString();
    }
    Print(r);
    return r;
  }

  MatrixRun RunOneScenario(const std::string& fault, const std::string& file) {
    MatrixRun r;
    r.fault = fault;
    r.source = file;
    r.scenario = true;
    Result<scenario::Scenario> s =
        scenario::LoadScenarioFile((fs::path(o_.spec.dir) / file).string());
    if (!s.ok()) return Failed(std::move(r), s.status().message());
    if (s->has_system_section) {
      // A scenario with a `system:` section takes its zabd flags from system.extra_flags only.
      SystemOption& flags = s->system.options["extra_flags"];
      flags.is_list = true;
      flags.values.insert(flags.values.end(), {"--fault", fault});
    } else {
      s->zabd_flags.insert(s->zabd_flags.end(), {"--fault", fault});
    }
    scenario::ScenarioRunOptions o;
    o.zabd_path = zabd_;
    o.store_path = o_.store_path;
    o.results_dir = o_.results_dir;
    std::ostringstream sink;
    o.out = &sink;
    scenario::ScenarioOutcome ran = scenario::RunScenario(*s, o);
    r.run_id = ran.run_id;
    if (auto store = HistoryStore::OpenExisting(o_.store_path); store.ok() && r.run_id > 0) {
      auto rec = (*store)->GetRun(r.run_id);
      if (rec.ok()) r.folder = rec->folder;
    }
    r.verdict = ran.exit_code == 0 ? "passed" : ran.exit_code == 1 ? "failed" : "error";
    r.error = ran.error;
    // A scenario catches the point when one of its expectations fails (exit 1).
    r.detected = ran.exit_code == 1;
    if (r.detected) {
      r.fired = {"expectation"};
      for (const auto& e : ran.expectations) {
        if (!e.held) {
          r.summary = OneLine(fmt::format("step {} {}: {}", e.step, e.text, e.detail));
          break;
        }
      }
    }
    Print(r);
    return r;
  }

  MatrixRun Failed(MatrixRun r, const std::string& why) {
    r.verdict = "error";
    r.error = why;
    Print(r);
    return r;
  }

  void Print(const MatrixRun& r) {
    out_ << fmt::format("{:<28} {:<44} {:>10}  run {:>5}  {:<8} {}{}\n",
                        r.fault.empty() ? "(correct server)" : r.fault, r.source,
                        r.scenario ? "scenario" : fmt::format("seed {}", r.seed), r.run_id,
                        r.verdict,
                        r.detected ? fmt::format("DETECTED by {}{}", fmt::join(r.fired, ","),
                                                 r.detect_ms ? " at +" + Seconds(*r.detect_ms) : "")
                                   : "",
                        r.error.empty() ? "" : "  (" + OneLine(r.error) + ")");
    out_.flush();
  }

  static std::string Stamp() {
    const std::time_t now = std::time(nullptr);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", std::gmtime(&now));
    return stamp;
  }

  std::string Store(const MatrixOutcome& outcome) {
    const std::string stamp = work_.filename().string().substr(o_.spec.name.size() + 1);
    const fs::path dir = fs::path(o_.results_dir) / "matrix";
    const fs::path md = dir / fmt::format("{}-{}.md", o_.spec.name, stamp);
    std::ofstream f(md);
    f << "# " << o_.spec.name << " (" << stamp << ")\n\n" << outcome.table;
    nlohmann::json runs = nlohmann::json::array();
    for (const MatrixRun& r : outcome.runs) {
      runs.push_back({{"fault", r.fault},
                      {"source", r.source},
                      {"scenario", r.scenario},
                      {"seed", r.seed},
                      {"run_id", r.run_id},
                      {"verdict", r.verdict},
                      {"detected", r.detected},
                      {"detect_ms", r.detect_ms ? nlohmann::json(*r.detect_ms) : nlohmann::json()},
                      {"fired", r.fired},
                      {"summary", r.summary},
                      {"error", r.error}});
    }
    std::ofstream j(dir / fmt::format("{}-{}.json", o_.spec.name, stamp));
    j << runs.dump(1) << "\n";
    return f && j ? md.string() : "";
  }

  const MatrixOptions& o_;
  std::ostream& out_;
  std::string zabd_;
  fs::path work_;
};

}  // namespace

MatrixOutcome RunMatrix(const MatrixOptions& options) { return MatrixRunner(options).Run(); }

}  // namespace faultline::harness
