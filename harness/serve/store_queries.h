// What serve's pages ask the store: runs matching the filters of `faultline runs`, and anomalies
// across runs with the faults that were active when they happened. Read-only, over the history
// store's read API (QueryRuns / WithConnection).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "harness/history/history_store.h"

namespace faultline::harness::serve {

struct RunFilter {
  std::string suite, system, verdict, status;  // "" = any; status is the effective one (crashed)
  std::optional<int64_t> since_ms, until_ms;   // runs.started_ms range, inclusive
  std::string anomaly_kind;                    // a checker that found an anomaly in the run
  std::string fault_kind;                      // a fault kind the run injected
  int limit = 100;
};

// Builds a filter from query parameters (suite, system, verdict, status, since, until, anomaly,
// fault, limit). since/until: "2026-12-01", "2026-12-01T13:05" (UTC), or an age ("7d", "12h",
// "30m": that long before `now_ms`). InvalidArgument names the parameter and what it accepts.
Result<RunFilter> ParseRunFilter(const std::map<std::string, std::string>& query, int64_t now_ms);

// Parses one since/until value (see ParseRunFilter); `name` is quoted in the error.
Result<int64_t> ParseTimeParam(const std::string& name, const std::string& text, int64_t now_ms);

Result<std::vector<RunRecord>> FindRuns(HistoryStore& store, const RunFilter& filter);

struct AnomalyRow {
  int64_t run_id = 0;
  std::string suite, system, checker, key, description;
  int64_t run_started_ms = 0;
  int64_t start_ns = 0, end_ns = 0;
  std::vector<std::string> active_faults;  // kinds of the run's faults overlapping the anomaly
  std::string anchor;  // its section in the run's report ("anomaly-3": numbered as the report does)
};

// Anomalies (not observations) of the runs `filter` selects, newest run first; `fault_kind`
// here selects anomalies that happened while a fault of that kind was active.
Result<std::vector<AnomalyRow>> FindAnomalies(HistoryStore& store, const RunFilter& filter);

// Distinct values of runs.suite / anomaly checkers / fault kinds, for the filter form.
struct FilterChoices {
  std::vector<std::string> suites, systems, anomaly_kinds, fault_kinds;
};
Result<FilterChoices> LoadFilterChoices(HistoryStore& store);

}  // namespace faultline::harness::serve
