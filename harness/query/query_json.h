// The JSON of the query results, one shape for `faultline runs/anomalies/trends --json` and for
// `faultline serve`. Field names are the C++ field names; times stay in the store's units
// (started_ms: ms since the epoch, start_ns: ns); absent optionals are null.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "harness/history/history_store.h"
#include "harness/history/run_metrics.h"
#include "harness/query/query.h"

namespace faultline::harness::query {

// A run row without its spec and schedule text (`faultline show` / the store have those).
nlohmann::json RunJson(const RunRecord& run);
nlohmann::json RunsJson(const std::vector<RunRecord>& runs);
nlohmann::json MetricsJson(const RunMetrics& metrics);
nlohmann::json AnomaliesJson(const AnomalyReport& report);
nlohmann::json TrendsJson(const TrendReport& report);

}  // namespace faultline::harness::query
