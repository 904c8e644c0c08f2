// FindAnomalies: the anomalies of the runs a filter selects, each with the faults active during it,
// and grouped by (kind, active faults).
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "harness/query/query.h"

namespace faultline::harness::query {
namespace {

struct StoredAnomaly {
  std::string kind, key, description;
  int64_t start_ns = 0, end_ns = 0;
  bool observation = false;
  std::string anchor;
};

// The run's anomalies that `q` asks for, each with its section in the run's report: the report
// numbers a run's anomalies and its observations separately, in time order, the checkers' rows
// in store order breaking ties (harness/report/html_page.cc Number; a link from a query result
// must land on the same section).
Result<std::vector<StoredAnomaly>> LoadAnomalies(HistoryStore& store, int64_t run_id,
                                                 const AnomalyQuery& q) {
  Result<std::vector<CheckRecord>> checks = store.LoadChecks(run_id);
  if (!checks.ok()) return checks.status();
  std::vector<const checkers::Anomaly*> all;
  for (const CheckRecord& c : *checks) {
    for (const checkers::Anomaly& a : c.anomalies) all.push_back(&a);
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const auto* a, const auto* b) { return a->start_ns < b->start_ns; });
  std::vector<StoredAnomaly> out;
  int anomalies = 0, observations = 0;
  for (const checkers::Anomaly* a : all) {
    std::string anchor = a->observation ? fmt::format("observation-{}", ++observations)
                                        : fmt::format("anomaly-{}", ++anomalies);
    if (!q.kind.empty() && a->checker != q.kind) continue;
    if (a->observation && !q.include_observations) continue;
    out.push_back(StoredAnomaly{a->checker, a->key, a->description, a->start_ns, a->end_ns,
                                a->observation, std::move(anchor)});
  }
  return out;  // in time order
}

bool Unplaced(const AnomalyRow& a) { return a.start_ns == 0 && a.end_ns == 0; }

std::vector<std::string> ActiveFaults(const std::vector<FaultRecord>& faults, int64_t start_ns,
                                      int64_t end_ns, const std::string& kind_filter,
                                      bool* matches_filter) {
  std::set<std::string> labels;
  *matches_filter = kind_filter.empty();
  int64_t end = std::max(start_ns, end_ns);
  for (const FaultRecord& f : faults) {
    int64_t stop = f.stop_ns.value_or(std::numeric_limits<int64_t>::max());
    if (f.start_ns > end || stop < start_ns) continue;
    std::string label = FaultLabel(f);
    if (f.kind == kind_filter || label == kind_filter) *matches_filter = true;
    labels.insert(std::move(label));
  }
  return {labels.begin(), labels.end()};
}

std::string GroupFaults(const AnomalyRow& a) {
  if (Unplaced(a)) return "unplaced";
  if (a.faults.empty()) return "none";
  std::string out;
  for (const auto& l : a.faults) out += (out.empty() ? "" : " + ") + l;
  return out;
}

}  // namespace

std::string FaultLabel(const FaultRecord& fault) {
  nlohmann::json d = nlohmann::json::parse(fault.detail_json, nullptr, false);
  auto text = [&](const char* key) {
    return d.is_object() && d.contains(key) && d[key].is_string() ? d[key].get<std::string>()
                                                                  : std::string();
  };
  std::string shape = text("shape");
  if (!shape.empty()) return fault.kind + ":" + shape;
  std::string target = text("target");
  if (!target.empty()) return fault.kind + ":" + target;
  return fault.kind;
}

Result<AnomalyReport> FindAnomalies(HistoryStore& store, const AnomalyQuery& query) {
  if (query.limit < 0) {
    return Status::InvalidArgument(fmt::format("limit {} is negative", query.limit));
  }
  RunFilter runs_filter = query.runs;
  runs_filter.limit = 0;
  // Only runs that have a matching anomaly are worth reading.
  if (!query.kind.empty() && !query.include_observations) runs_filter.anomaly_kind = query.kind;
  Result<std::vector<RunRecord>> runs = FindRuns(store, runs_filter);
  if (!runs.ok()) return runs.status();

  AnomalyReport report;
  std::map<std::pair<std::string, std::string>, AnomalyGroup> groups;
  for (const RunRecord& run : *runs) {  // newest first
    Result<std::vector<StoredAnomaly>> stored = LoadAnomalies(store, run.id, query);
    if (!stored.ok()) return stored.status();
    if (stored->empty()) continue;
    Result<std::vector<FaultRecord>> faults = store.LoadFaults(run.id);
    if (!faults.ok()) return faults.status();
    for (StoredAnomaly& s : *stored) {
      AnomalyRow a;
      a.run_id = run.id;
      a.suite = run.suite;
      a.system = run.system;
      a.run_started_ms = run.started_ms;
      a.kind = std::move(s.kind);
      a.key = std::move(s.key);
      a.description = std::move(s.description);
      a.start_ns = s.start_ns;
      a.end_ns = s.end_ns;
      a.observation = s.observation;
      a.report_anchor = std::move(s.anchor);
      bool fault_matches = true;
      if (!Unplaced(a)) {
        a.faults =
            ActiveFaults(*faults, a.start_ns, a.end_ns,
                         query.active_fault == "none" ? "" : query.active_fault, &fault_matches);
      } else {
        fault_matches = query.active_fault.empty();
      }
      if (query.active_fault == "none") fault_matches = !Unplaced(a) && a.faults.empty();
      if (!fault_matches) continue;
      ++report.total;
      AnomalyGroup& g = groups[{a.kind, GroupFaults(a)}];
      if (g.count == 0) {
        g.kind = a.kind;
        g.faults = GroupFaults(a);
        g.first_ms = g.last_ms = run.started_ms;
      }
      ++g.count;
      if (g.run_ids.empty() || g.run_ids.back() != run.id) g.run_ids.push_back(run.id);
      g.first_ms = std::min(g.first_ms, run.started_ms);
      g.last_ms = std::max(g.last_ms, run.started_ms);
      if (query.limit == 0 || report.rows.size() < static_cast<size_t>(query.limit)) {
        report.rows.push_back(std::move(a));
      }
    }
  }
  for (auto& [key, g] : groups) {
    std::sort(g.run_ids.begin(), g.run_ids.end());
    report.groups.push_back(std::move(g));
  }
  std::stable_sort(report.groups.begin(), report.groups.end(),
                   [](const AnomalyGroup& a, const AnomalyGroup& b) { return a.count > b.count; });
  return report;
}

Result<AnomalyQuery> AnomalyQueryFromParams(const std::map<std::string, std::string>& params,
                                            int64_t now_ms) {
  AnomalyQuery q;
  std::map<std::string, std::string> run_params;
  for (const auto& [name, value] : params) {
    if (name == "anomaly") {
      q.kind = value;
    } else if (name == "fault") {
      q.active_fault = value;
    } else if (name == "observations") {
      if (value != "" && value != "0" && value != "1" && value != "true" && value != "false") {
        return Status::InvalidArgument(
            fmt::format("observations '{}' is not 1, 0, true or false", value.substr(0, 60)));
      }
      q.include_observations = value == "1" || value == "true";
    } else if (name == "limit") {
      if (value.empty()) continue;
      if (value.size() > 9 || value.find_first_not_of("0123456789") != std::string::npos) {
        return Status::InvalidArgument(
            fmt::format("limit '{}' is not a count", value.substr(0, 60)));
      }
      q.limit = std::stoi(value);
    } else {
      run_params[name] = value;
    }
  }
  Result<RunFilter> runs = RunFilterFromParams(run_params, now_ms);
  if (!runs.ok()) return runs.status();
  q.runs = std::move(runs).value();
  return q;
}

}  // namespace faultline::harness::query
