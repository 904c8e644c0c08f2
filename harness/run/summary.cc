#include "harness/run/summary.h"

#include <fmt/format.h>

#include <cmath>
#include <ctime>
#include <map>

#include "harness/history/history_codec.h"
#include "harness/history/store_util.h"

namespace faultline::harness {
namespace {

// Offset of `ns` (unix ns) from the run's start, "+12.3s". Before the run started (an event
// logged while the cluster came up) it reads "-0.4s", never "+-0.4s".
std::string Offset(int64_t ns, int64_t run_start_ms) {
  if (ns == checkers::kOpenNs) return "open";
  double s = (static_cast<double>(ns) / 1e6 - static_cast<double>(run_start_ms)) / 1000.0;
  return fmt::format("{}{:.1f}s", s < 0 ? "-" : "+", std::abs(s));
}

// An anomaly's time range; a checker that could not place it in time leaves 0.
std::string Span(int64_t start_ns, int64_t end_ns, int64_t run_start_ms) {
  if (start_ns <= 0 && end_ns <= 0) return "(time not recorded)";
  if (start_ns == end_ns) return "at " + Offset(start_ns, run_start_ms);
  return Offset(start_ns, run_start_ms) + ".." + Offset(end_ns, run_start_ms);
}

}  // namespace

Status PrintRunSummary(HistoryStore& store, int64_t run_id, std::ostream& out) {
  Result<RunRecord> run = store.GetRun(run_id);
  if (!run.ok()) return run.status();
  Result<checkers::History> h = store.LoadHistory(run_id);
  if (!h.ok()) return h.status();
  Result<std::vector<CheckRecord>> checks = store.LoadChecks(run_id);
  if (!checks.ok()) return checks.status();
  const int64_t t0 = run->started_ms;

  out << fmt::format("run {}  suite {}  seed {}  git {}  started {} UTC  status {}  verdict {}\n",
                     run->id, run->suite, run->seed, run->git_revision, UtcTimeText(t0),
                     run->status, run->verdict.empty() ? "-" : run->verdict);
  if (run->replay_of) out << fmt::format("replay of run {}\n", *run->replay_of);
  if (run->status == kRunCrashed) {
    out << fmt::format(
        "crashed: the controller{} never finished the run; last heard from at {} UTC ({:+.1f}s "
        "after the start)\n",
        run->controller_pid ? fmt::format(" (pid {} on {})", *run->controller_pid,
                                          run->controller_host.empty() ? "?" : run->controller_host)
                            : "",
        UtcTimeText(run->last_heard_ms), (run->last_heard_ms - t0) / 1000.0);
  }

  std::map<std::string, std::map<std::string, int64_t>> by_f;  // f -> outcome -> count
  int64_t ok = 0, fail = 0, info = 0;
  for (const auto& op : h->ops) {
    std::string outcome = op.open() ? "info" : std::string(OutcomeToText(op.outcome));
    ++by_f[std::string(FnToText(op.f))][outcome];
    if (outcome == "ok") ++ok;
    if (outcome == "fail") ++fail;
    if (outcome == "info") ++info;
  }
  out << fmt::format("ops: {} (ok {}, fail {}, info {})\n", h->ops.size(), ok, fail, info);
  for (const auto& [f, counts] : by_f) {
    out << fmt::format(
        "  {:<9} ok {:>6}  fail {:>6}  info {:>6}\n", f, counts.count("ok") ? counts.at("ok") : 0,
        counts.count("fail") ? counts.at("fail") : 0, counts.count("info") ? counts.at("info") : 0);
  }

  Result<std::vector<FaultRecord>> faults = store.LoadFaults(run_id);
  if (!faults.ok()) return faults.status();
  out << fmt::format("faults: {}\n", faults->size());
  for (const auto& f : *faults) {
    std::string nodes;
    for (auto n : f.targets) nodes += (nodes.empty() ? "" : ",") + std::to_string(n);
    out << fmt::format("  {:>7} .. {:<7} {:<9} nodes {:<5} {}\n", Offset(f.start_ns, t0),
                       f.stop_ns ? Offset(*f.stop_ns, t0) : "open", f.kind, nodes, f.description);
  }

  out << "checkers:\n";
  if (checks->empty()) out << "  (not checked)\n";
  constexpr size_t kObservationsShown = 10;
  size_t anomalies = 0, observations = 0;
  for (const auto& c : *checks) {
    out << fmt::format("  {:<16} {:<8} {}\n", c.checker, c.verdict, c.reason);
    for (const auto& a : c.anomalies) ++(a.observation ? observations : anomalies);
  }
  // Observations (e.g. stale reads the system's promises allow) are listed apart: they never
  // make a run invalid.
  for (bool observation : {false, true}) {
    if (observation && observations == 0) continue;
    out << fmt::format("{}: {}\n", observation ? "observations" : "anomalies",
                       observation ? observations : anomalies);
    size_t shown = 0;
    for (const auto& c : *checks) {
      for (const auto& a : c.anomalies) {
        if (a.observation != observation) continue;
        if (observation && ++shown > kObservationsShown) continue;
        out << fmt::format("  [{}] key {} {}: {}\n", a.checker, a.key.empty() ? "-" : a.key,
                           Span(a.start_ns, a.end_ns, t0), a.description);
      }
    }
    if (observation && shown > kObservationsShown) {
      out << fmt::format("  ... and {} more\n", shown - kObservationsShown);
    }
  }
  if (!run->folder.empty()) out << "folder: " << run->folder << "\n";
  return Status::Ok();
}

Status PrintRunList(HistoryStore& store, int limit, std::ostream& out) {
  Result<std::vector<RunRecord>> runs = store.ListRuns(limit);
  if (!runs.ok()) return runs.status();
  out << fmt::format("{:>5}  {:<19}  {:<12} {:<11} {:<8} {:>9}\n", "id", "started (UTC)", "suite",
                     "status", "verdict", "anomalies");
  for (const auto& r : *runs) {
    out << fmt::format("{:>5}  {:<19}  {:<12} {:<11} {:<8} {:>9}\n", r.id,
                       UtcTimeText(r.started_ms), r.suite, r.status,
                       r.verdict.empty() ? "-" : r.verdict, r.anomaly_count);
  }
  return Status::Ok();
}

}  // namespace faultline::harness
