// serve's HTML pages (inline CSS, no script, nothing fetched), built from query results alone.
// Stable hooks for tests: #runs tr[data-run][data-verdict][data-status], #filters, #anomalies
// tr[data-run][data-kind], #anomaly-groups, #trends tr[data-suite], .error[data-status].
#pragma once

#include <map>
#include <string>
#include <vector>

#include "harness/history/history_store.h"
#include "harness/query/query.h"
#include "harness/serve/store_queries.h"

namespace faultline::harness::serve {

struct PageFrame {
  std::string store_path;
  std::string active;  // "runs" | "anomalies" | "trends" | ""
};

// `raw` is the request's query (the form shows the values as the user wrote them).
using Query = std::map<std::string, std::string>;
std::string RunsPage(const PageFrame& frame, const query::RunFilter& filter,
                     const FilterChoices& choices, const std::vector<RunRecord>& runs,
                     const Query& raw);
std::string AnomaliesPage(const PageFrame& frame, const query::AnomalyQuery& q,
                          const FilterChoices& choices, const query::AnomalyReport& report,
                          const Query& raw);
// #trends tr[data-suite][data-system][data-flaky] per (suite, system) of ComputeTrends.
std::string TrendsPage(const PageFrame& frame, const FilterChoices& choices,
                       const query::TrendReport& report, const Query& raw);

struct DirEntry {
  std::string name;
  bool directory = false;
  uintmax_t size = 0;
};
std::string DirectoryPage(const PageFrame& frame, const std::string& url_path,
                          const std::vector<DirEntry>& entries);
std::string ErrorPage(const PageFrame& frame, int status, const std::string& message);

}  // namespace faultline::harness::serve
