// Queries across the runs of one history store: which runs (FindRuns), which anomalies and under
// which faults (FindAnomalies), and how a suite's numbers move over time (ComputeTrends). A
// library: `faultline runs / anomalies / trends` (query_command.h) and `faultline serve` call the
// same functions and print (or serve) the same JSON (query_json.h). Read-only: nothing here writes
// to the store, so it works on a store opened with HistoryStore::OpenExisting.
//
// Definitions (docs/store-schema.md "Queries"):
//   - status is the effective one (a `running` row whose controller is gone is `crashed`);
//   - time bounds are on runs.started_ms: since <= started_ms < until;
//   - an anomaly's kind is its checker (`lost-write`, `linearizability`, `zab-invariants`,
//     `session-order`, ...); observations (anomalies.observation = 1) are left out unless asked;
//   - a fault is active during an anomaly when it overlaps the anomaly's time range
//     [start_ns, end_ns] (an instantaneous fault: its instant lies in it; a fault never stopped:
//     it runs to the end). Its label is its kind with its shape or target when the schedule named
//     one: `partition:isolate-leader`, `kill:leader`, `pause`;
//   - trends group finished runs by (suite, system), oldest first, with their RunMetrics
//     (harness/history/run_metrics.h). A value regresses when it is worse than the mean of the
//     preceding `window` runs (at least `min_baseline` of them) by more than
//     max(sigmas x their standard deviation, min_relative x their mean): ok/s lower, p99 and
//     failover higher. A spec is flaky when its finished runs (same spec text apart from the seed)
//     have both valid and invalid verdicts.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "harness/history/history_store.h"
#include "harness/history/run_metrics.h"

namespace faultline::harness::query {

struct RunFilter {
  std::string suite;    // runs.suite, exact; "" = any
  std::string system;   // zabd | zookeeper | etcd | fake ...
  std::string verdict;  // valid | invalid | unknown | none (never checked)
  std::string status;   // running | finished | interrupted | error | crashed (effective)
  std::optional<int64_t> since_ms, until_ms;  // on started_ms
  std::string anomaly_kind;  // the run has an anomaly (not an observation) of this kind
  std::string fault_kind;    // the run had a fault of this kind (faults.kind)
  int limit = 50;            // newest first; 0 = every matching run
};

// Bad values (an unknown verdict or status, since after until, a negative limit) are
// InvalidArgument naming the field.
Status ValidateRunFilter(const RunFilter& filter);

// Parses a time bound for --since / --until: "now", a relative age "90s", "30m", "12h", "7d",
// "2w" (before now_ms), a UTC date "2026-12-01", or a UTC time "2026-12-01T06:00[:SS][Z]" (a space
// may replace the T). Errors name `what` (the flag) and the text.
Result<int64_t> ParseTimeBound(const std::string& text, int64_t now_ms, const std::string& what);

// The filter from named parameters, the flags' names without dashes: suite, system, verdict,
// status, since, until, anomaly, fault, limit (for `serve`'s query strings). An empty value is no
// filter (a form's empty field). Unknown names are an error naming them.
Result<RunFilter> RunFilterFromParams(const std::map<std::string, std::string>& params,
                                      int64_t now_ms);

// Runs matching `filter`, newest first.
Result<std::vector<RunRecord>> FindRuns(HistoryStore& store, const RunFilter& filter);

// ---- anomalies

struct AnomalyQuery {
  RunFilter runs;            // which runs (runs.limit is ignored: every matching run)
  std::string kind;          // only anomalies of this kind ("" = any)
  std::string active_fault;  // only anomalies during a fault of this kind ("none": no fault)
  bool include_observations = false;
  int limit = 200;  // anomaly rows returned, newest run first (0 = all); groups
                    // always count every matching anomaly
};

struct AnomalyRow {
  int64_t run_id = 0;
  std::string suite, system;
  int64_t run_started_ms = 0;
  std::string kind;
  std::string key;
  std::string description;
  int64_t start_ns = 0, end_ns = 0;  // 0: not placed in time
  bool observation = false;
  std::vector<std::string> faults;  // labels of the faults active then (sorted, unique)
  // Its section in the run's report.html: "anomaly-N" / "observation-N" (the report numbers
  // each kind in time order).
  std::string report_anchor;
};

struct AnomalyGroup {
  std::string kind;
  std::string faults;  // labels joined by " + "; "none" when no fault was active; "unplaced"
                       // when the anomaly has no time range
  int64_t count = 0;
  std::vector<int64_t> run_ids;       // ascending, unique
  int64_t first_ms = 0, last_ms = 0;  // started_ms of the earliest and latest run
};

struct AnomalyReport {
  int64_t total = 0;  // matching anomalies (rows may hold fewer: the limit)
  std::vector<AnomalyRow> rows;
  std::vector<AnomalyGroup> groups;  // by count, descending, then kind and faults
};

Result<AnomalyReport> FindAnomalies(HistoryStore& store, const AnomalyQuery& query);

// The query from named parameters (`serve`'s /anomalies): the run filters of RunFilterFromParams
// but `anomaly` is the anomaly's kind (AnomalyQuery::kind, as `faultline anomalies --kind`),
// `fault` the kind or label of a fault active during it (AnomalyQuery::active_fault, as
// `--during`), `observations` (1/true: include them) and `limit` the anomalies listed.
Result<AnomalyQuery> AnomalyQueryFromParams(const std::map<std::string, std::string>& params,
                                            int64_t now_ms);

// The label of one stored fault (see the header comment).
std::string FaultLabel(const FaultRecord& fault);

// ---- trends

struct TrendOptions {
  RunFilter runs;  // status is forced to finished; limit = the newest runs considered (0 = all)
  int window = 10;
  int min_baseline = 3;
  double sigmas = 3.0;
  double min_relative = 0.10;
};

struct TrendPoint {
  int64_t run_id = 0;
  int64_t started_ms = 0;
  std::string verdict;
  std::string git_revision;
  uint64_t seed = 0;
  RunMetrics metrics;
};

struct MetricSummary {
  std::string metric;  // ok_per_s | p99_ms | failover_ms
  int64_t runs = 0;    // runs that have the metric
  double mean = 0, stddev = 0, min = 0, max = 0;
  std::optional<double> latest;
};

struct Regression {
  int64_t run_id = 0;
  std::string metric;
  double value = 0;
  double baseline_mean = 0, baseline_stddev = 0;
  double threshold = 0;  // the allowed deviation from the mean
  int64_t baseline_runs = 0;
};

struct FlakySpec {
  std::string spec_key;                     // a hash of the spec text without its seed
  std::map<std::string, int64_t> verdicts;  // valid / invalid / unknown -> runs
  std::vector<int64_t> run_ids;
};

struct SuiteTrend {
  std::string suite, system;
  std::vector<TrendPoint> points;  // oldest first
  std::vector<MetricSummary> metrics;
  std::vector<Regression> regressions;
  std::vector<FlakySpec> flaky;
};

struct TrendReport {
  std::vector<SuiteTrend> suites;  // by suite, then system
};

Result<TrendReport> ComputeTrends(HistoryStore& store, const TrendOptions& options);

// The options from named parameters (`serve`'s /trends): the run filters of RunFilterFromParams
// (`limit`: the newest finished runs considered, default 0 = all; `status` is always finished)
// with the defaults of TrendOptions.
Result<TrendOptions> TrendOptionsFromParams(const std::map<std::string, std::string>& params,
                                            int64_t now_ms);

// The pure part of ComputeTrends, for one suite's points (oldest first).
std::vector<Regression> FindRegressions(const std::vector<TrendPoint>& points,
                                        const TrendOptions& options);
std::vector<MetricSummary> SummarizeMetrics(const std::vector<TrendPoint>& points);

// The spec text with its top-level seed removed, normalized (what "same spec" means).
std::string SpecKey(const std::string& spec_text);

}  // namespace faultline::harness::query
