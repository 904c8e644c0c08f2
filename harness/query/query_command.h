// `faultline runs`, `faultline anomalies`, `faultline trends`: the queries of query.h on the
// command line, over the store read-only. Every one takes the run filters
//   --suite S --system K --verdict V --status S --since T --until T --anomaly KIND --fault KIND
// and --json (the query_json.h document instead of the table).
//   runs       [--limit N]                       newest first
//   anomalies  [--kind K] [--during FAULT|none] [--observations] [--limit N]
//              grouped by kind and by the faults active when they happened, then the list
//   trends     [--window N] [--sigmas X] [--points N]
//              ok/s, p99, failover per suite over time; regressions; flaky specs
// Exit code: 0 answered (also when nothing matched), 2 error (no store, bad filter).
#pragma once

#include <CLI/CLI.hpp>
#include <iosfwd>
#include <string>

#include "harness/query/query.h"

namespace faultline::harness::query {

// `store_path` is read when a command runs (the global --store option).
void AddQueryCommands(CLI::App& app, int* exit_code, const std::string* store_path);

// The tables the commands print (also for tests).
void PrintRuns(const std::vector<RunRecord>& runs, std::ostream& out);
void PrintAnomalies(const AnomalyReport& report, std::ostream& out);
void PrintTrends(const TrendReport& report, int points, std::ostream& out);

}  // namespace faultline::harness::query
