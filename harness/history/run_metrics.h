// RunMetrics: the numbers a suite table, `faultline trends` and the report show for one run,
// computed from its history alone (ops and faults as stored), so any recorded run has them.
//
//   ok/s      acknowledged (ok) workload ops per second over the workload's span: from the first
//             invoke to the last completion of the workload ops. Final reads (processes from
//             kFinalReadProcessMin, docs/store-schema.md) are not workload.
//   p50, p99  latency (completion - invoke) of the ok workload ops, in ms.
//   failover  the longest window with no acknowledged write after a fault: for a fault starting at
//             t, the longest gap between consecutive acknowledgements (completions of ok writes:
//             write, cas, delete, add, put, append, txn), counting t as the first point, among the
//             gaps that begin before the next fault starts (later gaps are the next fault's). The
//             run's failover is the longest over the faults that hit the leader (a process fault
//             on the node that was leading, a partition isolating it, a fault whose target or
//             shape names the leader); when no fault hit the leader, over every fault ("basis"
//             says which). When nothing was acknowledged after a gap began, the window runs to the
//             end of the workload and is marked open (a lower bound). No fault during the
//             workload: no failover. Acknowledgements, not invocations, are counted because a
//             partition takes effect a few ms after it is recorded, and writes in flight then
//             still commit.
//
// ComputeRunMetrics is pure. The run_metrics table caches the result (written at the end of every
// run by the report outputs, and by suites); readers use RunMetricsOf, which computes what is not
// stored (runs recorded before the table, read-only stores) without storing it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "checkers/history.h"
#include "common/status.h"
#include "harness/history/history_store.h"

namespace faultline::harness {

// Final reads use logical processes from here on (harness/run; docs/store-schema.md `ops`).
inline constexpr int64_t kFinalReadProcessMin = 1'000'000'000;
// Bump when a definition above changes: stored rows of an older version are recomputed.
inline constexpr int kRunMetricsVersion = 1;

struct RunMetrics {
  int64_t ops = 0;  // workload ops (final reads excluded)
  int64_t ok = 0;
  int64_t workload_ms = 0;
  double ok_per_s = 0;
  std::optional<double> p50_ms, p99_ms, max_ms;  // none without an ok workload op
  std::optional<double> failover_ms;             // none without a fault during the workload
  bool failover_open = false;                    // no write acknowledged after that fault
  std::optional<int64_t> failover_fault;         // fault_index of the longest window
  std::string failover_basis;                    // "leader" | "every" | "" (no fault)
};

// True when the fault hit the leader (see the header comment); reads the stored detail's roles,
// target and shape, and the description.
bool FaultHitLeader(const FaultRecord& fault);

RunMetrics ComputeRunMetrics(const checkers::History& history,
                             const std::vector<FaultRecord>& faults);

// "1.9s", "1.9s+" (open), "-" (none): the failover as a table shows it.
std::string FormatFailover(const RunMetrics& m);

// Stores (replaces) the run's metrics row. For writable stores.
Status StoreRunMetrics(HistoryStore& store, int64_t run_id, const RunMetrics& metrics);

// The stored metrics of `run_ids` of the current version (runs without a row are absent).
Result<std::map<int64_t, RunMetrics>> LoadStoredRunMetrics(HistoryStore& store,
                                                           const std::vector<int64_t>& run_ids);

// Stored metrics, else computed from the run's history (and not stored).
Result<RunMetrics> RunMetricsOf(HistoryStore& store, int64_t run_id);

}  // namespace faultline::harness
