#include "harness/suite/suite_runner.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "harness/history/history_store.h"
#include "harness/history/run_metrics.h"
#include "harness/history/suite_records.h"
#include "harness/report/junit.h"
#include "harness/report/run_view.h"
#include "harness/run/interrupt.h"
#include "harness/run/runner.h"
#include "harness/scenario/runner.h"
#include "harness/scenario/scenario.h"
#include "harness/systems/registry.h"

namespace faultline::harness::suite {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string SelfDir() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : self.parent_path().string();
}

class ScaffoldExecutor final : public CaseExecutor {
 public:
  explicit ScaffoldExecutor(ExecutorOptions o) : o_(std::move(o)) {
    if (o_.bin_dir.empty()) o_.bin_dir = SelfDir();
  }

  CaseResult Run(const SuiteCase& c, std::ostream& log) override {
    return c.kind == CaseKind::kTest ? RunTest(c, log) : RunScenarioCase(c, log);
  }

 private:
  CaseResult RunTest(const SuiteCase& c, std::ostream& log) {
    RunOptions r;
    r.spec = c.spec;
    r.store_path = o_.store_path;
    r.results_dir = o_.results_dir;
    r.system_context.spec_dir = fs::path(c.file).parent_path().string();
    r.system_context.bin_dir = o_.bin_dir;
    r.out = &log;
    r.tty = o_.tty && &log == &std::cout;
    RunOutcome out = ExecuteRun(r);
    CaseResult res;
    if (out.run_id) res.run_id = out.run_id;
    if (out.exit_code == 0) {
      res.outcome = kCaseValid;
    } else if (out.exit_code == 1) {
      res.outcome = kCaseInvalid;
    } else if (!out.error.empty()) {
      res.outcome = kCaseError;
      res.reason = out.error;
    } else {
      res.outcome = kCaseUnknown;
      res.reason = Interrupted() ? "interrupted" : "verdict unknown (see the run's checkers)";
    }
    return res;
  }

  CaseResult RunScenarioCase(const SuiteCase& c, std::ostream& log) {
    CaseResult res;
    Result<scenario::Scenario> s = scenario::LoadScenarioFile(c.file);
    if (!s.ok()) {
      res.outcome = kCaseError;
      res.reason = s.status().message();
      return res;
    }
    scenario::ScenarioRunOptions r;
    r.zabd_path = (fs::path(o_.bin_dir) / "zabd").string();
    r.system_context.spec_dir = fs::path(c.file).parent_path().string();
    r.system_context.bin_dir = o_.bin_dir;
    r.store_path = o_.store_path;
    r.results_dir = o_.results_dir;
    r.out = &log;
    scenario::ScenarioOutcome out = scenario::RunScenario(*s, r);
    if (out.run_id) res.run_id = out.run_id;
    // A scenario's verdict is its expectations: 0 all held, 1 one failed, 2 could not run.
    if (out.exit_code == 0) {
      res.outcome = kCaseValid;
    } else if (out.exit_code == 1) {
      res.outcome = kCaseInvalid;
    } else {
      res.outcome = Interrupted() ? kCaseUnknown : kCaseError;
      res.reason = Interrupted() ? "interrupted" : out.error;
    }
    return res;
  }

  ExecutorOptions o_;
};

// Case names become file names: keep them tame.
std::string FileSafe(const std::string& name) {
  std::string out;
  for (char ch : name) {
    out += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.')
               ? ch
               : '_';
  }
  return out;
}

std::string Seconds(double s) {
  return s < 100 ? fmt::format("{:.1f}s", s)
                 : fmt::format("{}m{:02d}s", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
}

// What the store says about a finished case: anomalies, metrics (computed and stored when
// missing). A failure here is a warning: the case's outcome stands.
void ReadBack(const std::string& store_path, SuiteRow* row, std::ostream& out) {
  Result<std::unique_ptr<HistoryStore>> store = HistoryStore::Open(store_path);
  if (!store.ok()) {
    out << "warning: cannot reopen the store: " << store.status().ToString() << "\n";
    return;
  }
  Result<RunRecord> run = (*store)->GetRun(*row->result.run_id);
  if (!run.ok()) {
    out << "warning: " << run.status().ToString() << "\n";
    return;
  }
  row->anomalies = run->anomaly_count;
  row->c.seed = run->seed;  // the seed it ran with (chosen at run time when the spec had none)
  Result<std::map<int64_t, RunMetrics>> stored =
      LoadStoredRunMetrics(**store, {*row->result.run_id});
  if (stored.ok() && stored->count(run->id)) {
    row->metrics = stored->at(run->id);
    return;
  }
  Result<RunMetrics> m = RunMetricsOf(**store, run->id);
  if (!m.ok()) {
    out << "warning: metrics of run " << run->id << ": " << m.status().ToString() << "\n";
    return;
  }
  row->metrics = *m;
  (void)StoreRunMetrics(**store, run->id, *m);
}

void Record(const std::string& store_path, int64_t suite_run_id, const SuiteRow& row,
            std::ostream& out) {
  Result<std::unique_ptr<HistoryStore>> store = HistoryStore::Open(store_path);
  Status s = store.status();
  if (store.ok()) {
    SuiteCaseRecord rec;
    rec.suite_run_id = suite_run_id;
    rec.position = row.c.position;
    rec.name = row.c.name;
    rec.kind = CaseKindName(row.c.kind);
    rec.file = row.c.file;
    rec.seed = row.c.seed;
    rec.run_id = row.result.run_id;
    rec.outcome = row.result.outcome;
    rec.reason = row.result.reason;
    s = RecordSuiteCase(**store, rec);
  }
  if (!s.ok()) out << "warning: cannot record case " << row.c.name << ": " << s.ToString() << "\n";
}

std::string FormatMs(double ms) {
  return ms < 10 ? fmt::format("{:.1f}ms", ms) : fmt::format("{:.0f}ms", ms);
}

std::string OutcomeLine(const SuiteRow& row) {
  std::string line = row.result.outcome;
  if (row.result.run_id) line += fmt::format(", run {}", *row.result.run_id);
  if (row.ran && row.result.run_id) {
    line += fmt::format(", {} anomal{}", row.anomalies, row.anomalies == 1 ? "y" : "ies");
  }
  if (row.metrics) {
    line += fmt::format(", {:.0f} ok/s, failover {}", row.metrics->ok_per_s,
                        FormatFailover(*row.metrics));
  }
  if (row.ran) line += ", " + Seconds(row.seconds);
  if (!row.result.reason.empty()) line += ": " + row.result.reason;
  return line;
}

}  // namespace

std::unique_ptr<CaseExecutor> MakeScaffoldExecutor(const ExecutorOptions& options) {
  return std::make_unique<ScaffoldExecutor>(options);
}

Status ProbeInstalled(const TestSpec& spec) {
  SystemContext ctx;
  Result<std::unique_ptr<System>> system = MakeSystem(spec, ctx);
  if (!system.ok()) return Status::Ok();  // not an installation problem: the run will say
  std::string tmpl = (fs::temp_directory_path() / "faultline-probe.XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) return Status::Ok();
  DbOptions d;
  d.run_dir = tmpl;
  d.nodes = spec.system.nodes;
  d.layout = NetLayout::kPrivateNetns;  // addresses by convention: no port is probed or bound
  Status result;
  {
    Result<std::unique_ptr<Db>> db = (*system)->OpenDb(d);
    if (!db.ok() && db.status().code() == StatusCode::kNotFound) {
      result = Status::NotFound(fmt::format("system {} is not installed here: {}", spec.system.kind,
                                            db.status().message()));
    }
  }
  std::error_code ec;
  fs::remove_all(tmpl, ec);
  return result;
}

int SuiteExitCode(const std::vector<SuiteRow>& rows) {
  bool invalid = false, unrun = false;
  for (const SuiteRow& r : rows) {
    invalid |= r.result.outcome == kCaseInvalid;
    unrun |= r.result.outcome == kCaseError || r.result.outcome == kCaseUnknown;
  }
  return invalid ? 1 : unrun ? 2 : 0;
}

void PrintSuiteTable(const std::vector<SuiteRow>& rows, std::ostream& out) {
  size_t width = 4;
  for (const SuiteRow& r : rows) width = std::max(width, r.c.name.size());
  width = std::min<size_t>(width, 48);
  out << fmt::format("{:<{}}  {:>16}  {:<8} {:>9} {:>8} {:>8} {:>9} {:>6}\n", "test", width, "seed",
                     "verdict", "anomalies", "ops/s", "p99", "failover", "run");
  std::map<std::string, int> totals;
  for (const SuiteRow& r : rows) {
    ++totals[r.result.outcome.empty() ? "not run" : r.result.outcome];
    const bool m = r.metrics.has_value();
    out << fmt::format("{:<{}}  {:>16}  {:<8} {:>9} {:>8} {:>8} {:>9} {:>6}\n", r.c.name, width,
                       r.c.kind == CaseKind::kTest && r.c.seed && r.result.outcome != kCaseSkipped
                           ? std::to_string(r.c.seed)
                           : "-",
                       r.result.outcome.empty() ? "not run" : r.result.outcome,
                       r.result.run_id ? std::to_string(r.anomalies) : "-",
                       m ? fmt::format("{:.1f}", r.metrics->ok_per_s) : "-",
                       m && r.metrics->p99_ms ? FormatMs(*r.metrics->p99_ms) : "-",
                       m ? FormatFailover(*r.metrics) : "-",
                       r.result.run_id ? std::to_string(*r.result.run_id) : "-");
  }
  std::string summary;
  for (const char* k : {"valid", "invalid", "unknown", "error", "skipped", "not run"}) {
    if (totals.count(k))
      summary += fmt::format("{}{} {}", summary.empty() ? "" : ", ", totals[k], k);
  }
  out << fmt::format("{} test{}: {}\n", rows.size(), rows.size() == 1 ? "" : "s", summary);
  for (const SuiteRow& r : rows) {
    if (r.result.outcome == kCaseSkipped) {
      out << fmt::format("skipped {}: {}\n", r.c.name, r.result.reason);
    } else if (r.result.outcome == kCaseError) {
      out << fmt::format("could not run {}: {}\n", r.c.name, r.result.reason);
    }
  }
}

Result<std::string> SuiteJUnit(const std::string& store_path, const std::string& suite_name,
                               const std::vector<SuiteRow>& rows) {
  std::unique_ptr<HistoryStore> store;
  bool any_run = false;
  for (const SuiteRow& r : rows) any_run |= r.result.run_id.has_value();
  if (any_run) {
    Result<std::unique_ptr<HistoryStore>> s = HistoryStore::OpenExisting(store_path);
    if (!s.ok()) return s.status();
    store = std::move(s).value();
  }
  std::vector<report::JUnitSuite> suites;
  for (const SuiteRow& r : rows) {
    if (r.result.run_id) {
      Result<report::RunView> view = report::LoadRunView(*store, *r.result.run_id, store_path);
      if (view.ok()) {
        report::JUnitSuite s = report::JUnitSuiteForRun(*view);
        s.name = fmt::format("{} (run {})", r.c.name, *r.result.run_id);
        s.properties.emplace_back("case", r.c.name);
        s.properties.emplace_back("file", r.c.file);
        if (r.metrics) {
          s.properties.emplace_back("ok_per_s", fmt::format("{:.1f}", r.metrics->ok_per_s));
          s.properties.emplace_back("failover", FormatFailover(*r.metrics));
        }
        suites.push_back(std::move(s));
        continue;
      }
    }
    report::JUnitSuite s;
    s.name = r.c.name;
    report::JUnitCase c;
    c.classname = "faultline." + r.c.name;
    c.name = "run";
    if (r.result.outcome == kCaseSkipped || r.result.outcome.empty()) {
      c.result = report::JUnitCase::Result::kSkipped;
      c.message = r.result.outcome.empty() ? "not run: the suite was interrupted" : r.result.reason;
    } else {
      c.result = report::JUnitCase::Result::kError;
      c.type = r.result.outcome;
      c.message = r.result.reason.empty() ? r.result.outcome : r.result.reason;
      c.text = c.message + "\n";
    }
    s.cases.push_back(std::move(c));
    suites.push_back(std::move(s));
  }
  return report::WriteJUnit(suite_name, suites);
}

Result<std::string> MergedSuiteJUnit(const std::string& store_path,
                                     const std::vector<int64_t>& suite_run_ids) {
  std::vector<SuiteRow> rows;
  std::vector<std::string> names;
  {
    Result<std::unique_ptr<HistoryStore>> store = HistoryStore::OpenExisting(store_path);
    if (!store.ok()) return store.status();
    std::map<int64_t, SuiteRow> by_position;
    std::vector<int64_t> run_ids;
    for (int64_t id : suite_run_ids) {
      Result<SuiteRunRecord> run = GetSuiteRun(**store, id);
      if (!run.ok()) return run.status();
      if (std::find(names.begin(), names.end(), run->name) == names.end()) {
        names.push_back(run->name);
      }
      Result<std::vector<SuiteCaseRecord>> cases = LoadSuiteCases(**store, id);
      if (!cases.ok()) return cases.status();
      for (const SuiteCaseRecord& c : *cases) {
        SuiteRow row;
        row.c.position = c.position;
        row.c.name = c.name;
        row.c.file = c.file;
        row.c.seed = c.seed;
        row.result = CaseResult{c.outcome, c.run_id, c.reason};
        row.ran = c.run_id.has_value();
        if (c.run_id) run_ids.push_back(*c.run_id);
        by_position.emplace(c.position, std::move(row));
      }
    }
    Result<std::map<int64_t, RunMetrics>> metrics = LoadStoredRunMetrics(**store, run_ids);
    if (!metrics.ok()) return metrics.status();
    for (auto& [position, row] : by_position) {
      if (row.result.run_id) {
        if (auto it = metrics->find(*row.result.run_id); it != metrics->end()) {
          row.metrics = it->second;
        }
      }
      rows.push_back(std::move(row));
    }
  }
  std::string name;
  for (const std::string& n : names) name += (name.empty() ? "" : " + ") + n;
  return SuiteJUnit(store_path, name, rows);
}

SuiteOutcome RunSuite(const SuitePlan& plan, const std::vector<SuiteCase>& cases,
                      const SuiteRunOptions& o, CaseExecutor& executor) {
  std::ostream& out = o.out ? *o.out : std::cout;
  SuiteOutcome result;
  {
    Result<std::unique_ptr<HistoryStore>> store = HistoryStore::Open(o.store_path);
    if (!store.ok()) {
      result.error = store.status().ToString();
      out << "error: " << result.error << "\n";
      return result;
    }
    SuiteRunRecord rec;
    rec.name = plan.name;
    rec.file = plan.file;
    rec.label = o.label;
    if (o.shard) rec.shard = fmt::format("{}/{}", o.shard->index, o.shard->count);
    rec.cases = static_cast<int64_t>(cases.size());
    rec.git_revision = GitRevision();
    Result<int64_t> id = CreateSuiteRun(**store, rec);
    if (!id.ok()) {
      result.error = id.status().ToString();
      out << "error: " << result.error << "\n";
      return result;
    }
    result.suite_run_id = *id;
  }
  result.folder =
      (fs::path(o.results_dir) / "suites" / std::to_string(result.suite_run_id)).string();
  std::error_code ec;
  fs::create_directories(result.folder, ec);
  if (ec) {
    result.error = "cannot create " + result.folder + ": " + ec.message();
    out << "error: " << result.error << "\n";
    return result;
  }
  out << fmt::format("suite {}: {} test{}{}, store {}, folder {}\n", plan.name, cases.size(),
                     cases.size() == 1 ? "" : "s",
                     o.shard ? fmt::format(" (shard {}/{} of {})", o.shard->index, o.shard->count,
                                           plan.cases.size())
                             : "",
                     o.store_path, result.folder);
  const size_t total = cases.size();
  const int digits = static_cast<int>(std::to_string(total).size());
  const auto suite_start = Clock::now();
  for (size_t i = 0; i < total; ++i) {
    SuiteRow row;
    row.c = cases[i];
    const std::string tag = fmt::format("[{:>{}}/{}] {}", i + 1, digits, total, row.c.name);
    if (Interrupted()) {
      result.interrupted = true;
      result.rows.push_back(std::move(row));
      continue;
    }
    if (!row.c.skip_reason.empty()) {
      row.result.outcome = kCaseSkipped;
      row.result.reason = row.c.skip_reason;
      out << fmt::format("{}: skipped: {}\n", tag, row.c.skip_reason);
      Record(o.store_path, result.suite_run_id, row, out);
      result.rows.push_back(std::move(row));
      continue;
    }
    const std::string log_path =
        (fs::path(result.folder) / fmt::format("{}-{}.log", row.c.position, FileSafe(row.c.name)))
            .string();
    out << fmt::format("{}: running ({}{}{})\n", tag, CaseKindName(row.c.kind),
                       row.c.seed ? fmt::format(", seed {}", row.c.seed) : "",
                       o.verbose ? "" : ", log " + log_path)
        << std::flush;
    const auto start = Clock::now();
    {
      std::ofstream log_file;
      if (!o.verbose) log_file.open(log_path);
      std::ostream& log = o.verbose ? out : static_cast<std::ostream&>(log_file);
      row.result = executor.Run(row.c, log);
    }
    row.ran = true;
    row.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (row.result.run_id) ReadBack(o.store_path, &row, out);
    const double elapsed = std::chrono::duration<double>(Clock::now() - suite_start).count();
    out << fmt::format("{}: {} (suite {} so far)\n", tag, OutcomeLine(row), Seconds(elapsed))
        << std::flush;
    Record(o.store_path, result.suite_run_id, row, out);
    result.rows.push_back(std::move(row));
  }
  if (result.interrupted) out << "interrupted: the remaining tests were not run\n";
  out << "\n";
  PrintSuiteTable(result.rows, out);
  result.exit_code = SuiteExitCode(result.rows);
  if (result.interrupted && result.exit_code == 0) result.exit_code = 2;
  {
    std::ofstream summary(fs::path(result.folder) / "summary.txt");
    PrintSuiteTable(result.rows, summary);
  }
  Result<std::string> junit = SuiteJUnit(o.store_path, plan.name, result.rows);
  if (!junit.ok()) {
    out << "warning: junit: " << junit.status().ToString() << "\n";
  } else {
    result.junit_path = (fs::path(result.folder) / "junit.xml").string();
    for (const std::string& path : {result.junit_path, o.junit_path}) {
      if (path.empty()) continue;
      std::ofstream f(path, std::ios::trunc);
      f << *junit;
      if (!f) out << "warning: cannot write " << path << "\n";
    }
    out << "junit: " << result.junit_path << (o.junit_path.empty() ? "" : " and " + o.junit_path)
        << "\n";
  }
  Result<std::unique_ptr<HistoryStore>> store = HistoryStore::Open(o.store_path);
  if (store.ok()) (void)FinishSuiteRun(**store, result.suite_run_id, result.exit_code);
  return result;
}

}  // namespace faultline::harness::suite
