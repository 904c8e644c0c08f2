#include "harness/query/query_command.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <iostream>
#include <memory>

#include "harness/history/store_util.h"
#include "harness/query/query_json.h"

namespace faultline::harness::query {
namespace {

struct FilterArgs {
  RunFilter filter;
  std::string since, until;
  bool json = false;
};

void AddFilterFlags(CLI::App* cmd, FilterArgs* a) {
  cmd->add_option("--suite", a->filter.suite, "only runs of this suite (runs.suite)");
  cmd->add_option("--system", a->filter.system, "only runs on this system (zabd, zookeeper, ...)");
  cmd->add_option("--verdict", a->filter.verdict, "valid | invalid | unknown | none (unchecked)");
  cmd->add_option("--status", a->filter.status,
                  "running | finished | interrupted | error | crashed");
  cmd->add_option("--since", a->since,
                  "runs started at or after: 7d, 12h, now, 2026-12-01, 2026-12-01T06:00 (UTC)");
  cmd->add_option("--until", a->until, "runs started before (same forms as --since)");
  cmd->add_option("--anomaly", a->filter.anomaly_kind,
                  "only runs with an anomaly of this kind (lost-write, linearizability, ...)");
  cmd->add_option("--fault", a->filter.fault_kind,
                  "only runs with a fault of this kind (partition, kill, pause, ...)");
  cmd->add_flag("--json", a->json, "print JSON instead of a table");
}

// Resolves the time flags and checks the filter; prints the error and returns false when bad.
bool Resolve(FilterArgs* a) {
  int64_t now = UnixNowMs();
  for (auto [text, bound, flag] : {std::tuple{&a->since, &a->filter.since_ms, "--since"},
                                   std::tuple{&a->until, &a->filter.until_ms, "--until"}}) {
    if (text->empty()) continue;
    Result<int64_t> t = ParseTimeBound(*text, now, flag);
    if (!t.ok()) {
      std::cerr << "error: " << t.status().message() << "\n";
      return false;
    }
    *bound = *t;
  }
  if (Status s = ValidateRunFilter(a->filter); !s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return false;
  }
  return true;
}

// Opens the store read-only and runs `fn` on it; errors end as exit code 2.
template <typename Fn>
void WithStore(const std::string& path, int* exit_code, Fn fn) {
  auto store = HistoryStore::OpenExisting(path);
  if (!store.ok()) {
    std::cerr << "error: " << store.status().message() << "\n";
    *exit_code = 2;
    return;
  }
  Status s = fn(**store);
  if (!s.ok()) {
    std::cerr << "error: " << path << ": " << s.message() << "\n";
    *exit_code = 2;
    return;
  }
  *exit_code = 0;
}

std::string Ms(const std::optional<double>& v) {
  return v ? fmt::format("{:.1f}ms", *v) : std::string("-");
}

}  // namespace

void PrintRuns(const std::vector<RunRecord>& runs, std::ostream& out) {
  out << fmt::format("{:>5}  {:<19}  {:<24} {:<10} {:<11} {:<8} {:>9}\n", "id", "started (UTC)",
                     "suite", "system", "status", "verdict", "anomalies");
  for (const RunRecord& r : runs) {
    out << fmt::format("{:>5}  {:<19}  {:<24} {:<10} {:<11} {:<8} {:>9}\n", r.id,
                       UtcTimeText(r.started_ms), r.suite, r.system, r.status,
                       r.verdict.empty() ? "-" : r.verdict, r.anomaly_count);
  }
  if (runs.empty()) out << "(no runs match)\n";
}

void PrintAnomalies(const AnomalyReport& report, std::ostream& out) {
  out << fmt::format("{} anomal{} in {} group{}\n", report.total, report.total == 1 ? "y" : "ies",
                     report.groups.size(), report.groups.size() == 1 ? "" : "s");
  if (report.groups.empty()) return;
  out << fmt::format("{:<16} {:<40} {:>6} {:>5}  {:<10} {:<10}  {}\n", "kind", "faults active",
                     "count", "runs", "first", "last", "run ids");
  for (const AnomalyGroup& g : report.groups) {
    std::string ids;
    for (size_t i = 0; i < g.run_ids.size() && i < 8; ++i) {
      ids += (i ? "," : "") + std::to_string(g.run_ids[i]);
    }
    if (g.run_ids.size() > 8) ids += fmt::format(",... ({} more)", g.run_ids.size() - 8);
    out << fmt::format("{:<16} {:<40} {:>6} {:>5}  {:<10} {:<10}  {}\n", g.kind, g.faults, g.count,
                       g.run_ids.size(), UtcTimeText(g.first_ms).substr(0, 10),
                       UtcTimeText(g.last_ms).substr(0, 10), ids);
  }
  out << "\n";
  for (const AnomalyRow& a : report.rows) {
    out << fmt::format("run {:<5} {:<24} [{}{}] key {} during {}: {}\n", a.run_id, a.suite, a.kind,
                       a.observation ? ", observation" : "", a.key.empty() ? "-" : a.key,
                       a.start_ns == 0 && a.end_ns == 0
                           ? std::string("?")
                           : (a.faults.empty() ? std::string("no fault")
                                               : fmt::format("{}", fmt::join(a.faults, " + "))),
                       a.description);
  }
  if (static_cast<int64_t>(report.rows.size()) < report.total) {
    out << fmt::format("... {} more (--limit)\n", report.total - report.rows.size());
  }
}

void PrintTrends(const TrendReport& report, int points, std::ostream& out) {
  if (report.suites.empty()) out << "(no finished runs match)\n";
  for (const SuiteTrend& t : report.suites) {
    out << fmt::format("suite {} on {}: {} finished run{}\n", t.suite, t.system, t.points.size(),
                       t.points.size() == 1 ? "" : "s");
    for (const MetricSummary& m : t.metrics) {
      if (m.runs == 0) {
        out << fmt::format("  {:<12} -\n", m.metric);
        continue;
      }
      out << fmt::format(
          "  {:<12} latest {:>10.1f}  mean {:>10.1f} ± {:<8.1f} range {:.1f}..{:.1f}"
          " ({} runs)\n",
          m.metric, *m.latest, m.mean, m.stddev, m.min, m.max, m.runs);
    }
    for (const Regression& r : t.regressions) {
      out << fmt::format(
          "  REGRESSION run {}: {} {:.1f} vs {:.1f} ± {:.1f} over the {} runs before (allowed "
          "{:.1f})\n",
          r.run_id, r.metric, r.value, r.baseline_mean, r.baseline_stddev, r.baseline_runs,
          r.threshold);
    }
    for (const FlakySpec& f : t.flaky) {
      std::string counts;
      for (const auto& [v, n] : f.verdicts)
        counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", n, v);
      out << fmt::format("  FLAKY spec {}: {} (runs {})\n", f.spec_key, counts,
                         fmt::join(f.run_ids, ","));
    }
    size_t from = t.points.size() > static_cast<size_t>(points) ? t.points.size() - points : 0;
    for (size_t i = from; i < t.points.size(); ++i) {
      const TrendPoint& p = t.points[i];
      out << fmt::format("    run {:<5} {}  {:<8} ok/s {:>8.1f}  p99 {:>9}  failover {}\n",
                         p.run_id, UtcTimeText(p.started_ms), p.verdict.empty() ? "-" : p.verdict,
                         p.metrics.ok_per_s, Ms(p.metrics.p99_ms), FormatFailover(p.metrics));
    }
  }
}

void AddQueryCommands(CLI::App& app, int* exit_code, const std::string* store_path) {
  // ---- runs
  {
    auto a = std::make_shared<FilterArgs>();
    a->filter.limit = 30;
    CLI::App* cmd = app.add_subcommand("runs", "list recorded runs (newest first), filtered");
    AddFilterFlags(cmd, a.get());
    cmd->add_option("--limit", a->filter.limit, "at most this many (0 = all)")
        ->capture_default_str();
    cmd->callback([a, exit_code, store_path] {
      if (!Resolve(a.get())) {
        *exit_code = 2;
        return;
      }
      WithStore(*store_path, exit_code, [&](HistoryStore& store) -> Status {
        Result<std::vector<RunRecord>> runs = FindRuns(store, a->filter);
        if (!runs.ok()) return runs.status();
        if (a->json) {
          std::cout << RunsJson(*runs).dump(2) << "\n";
        } else {
          PrintRuns(*runs, std::cout);
        }
        return Status::Ok();
      });
    });
  }
  // ---- anomalies
  {
    auto a = std::make_shared<FilterArgs>();
    auto q = std::make_shared<AnomalyQuery>();
    CLI::App* cmd = app.add_subcommand(
        "anomalies",
        "anomalies across runs, grouped by kind and by the faults active when they happened");
    AddFilterFlags(cmd, a.get());
    cmd->add_option("--kind", q->kind, "only this kind (lost-write, linearizability, ...)");
    cmd->add_option("--during", q->active_fault,
                    "only anomalies during a fault of this kind or label (partition, "
                    "partition:isolate-leader), or none");
    cmd->add_flag("--observations", q->include_observations,
                  "include observations (e.g. ZooKeeper stale plain reads)");
    cmd->add_option("--limit", q->limit, "anomalies listed (0 = all; groups count all)")
        ->capture_default_str();
    cmd->callback([a, q, exit_code, store_path] {
      if (!Resolve(a.get())) {
        *exit_code = 2;
        return;
      }
      q->runs = a->filter;
      WithStore(*store_path, exit_code, [&](HistoryStore& store) -> Status {
        Result<AnomalyReport> r = FindAnomalies(store, *q);
        if (!r.ok()) return r.status();
        if (a->json) {
          std::cout << AnomaliesJson(*r).dump(2) << "\n";
        } else {
          PrintAnomalies(*r, std::cout);
        }
        return Status::Ok();
      });
    });
  }
  // ---- trends
  {
    auto a = std::make_shared<FilterArgs>();
    auto o = std::make_shared<TrendOptions>();
    auto points = std::make_shared<int>(10);
    a->filter.limit = 0;
    CLI::App* cmd = app.add_subcommand(
        "trends",
        "ok/s, p99 and failover per suite over time; regressions beyond the run-to-run spread; "
        "flaky suites (same spec, different verdicts)");
    AddFilterFlags(cmd, a.get());
    cmd->add_option("--limit", a->filter.limit, "only the newest N finished runs (0 = all)")
        ->capture_default_str();
    cmd->add_option("--window", o->window, "runs before a run that make its baseline")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000));
    cmd->add_option("--sigmas", o->sigmas, "a regression is beyond this many standard deviations")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 100.0));
    cmd->add_option("--points", *points, "runs listed per suite")
        ->capture_default_str()
        ->check(CLI::Range(0, 100000));
    cmd->callback([a, o, points, exit_code, store_path] {
      if (!Resolve(a.get())) {
        *exit_code = 2;
        return;
      }
      o->runs = a->filter;
      WithStore(*store_path, exit_code, [&](HistoryStore& store) -> Status {
        Result<TrendReport> r = ComputeTrends(store, *o);
        if (!r.ok()) return r.status();
        if (a->json) {
          std::cout << TrendsJson(*r).dump(2) << "\n";
        } else {
          PrintTrends(*r, *points, std::cout);
        }
        return Status::Ok();
      });
    });
  }
}

}  // namespace faultline::harness::query
