// Site: what `faultline serve` answers, as a pure function from a request to a response (the HTTP
// server is http_server.h), read-only over one history store and one results folder.
//
//   /                   runs with their verdicts, filtered like `faultline runs` (query
//   /runs                parameters suite, system, verdict, status, since, until, anomaly,
//                        fault, limit: harness/query RunFilterFromParams, one semantics with
//                        the commands, docs/store-schema.md "Queries")
//   /runs/ID/           run ID's report: report.html from its run folder, or rendered from the
//                        store on demand (no report file, or the run is still going; ?fresh=1)
//   /runs/ID/PATH       a file of run ID's folder (junit.xml, node logs)
//   /results/PATH       a file or folder listing under the results folder
//   /anomalies          anomalies across runs grouped by kind and the faults active then, as
//                        `faultline anomalies` (anomaly = --kind, fault = --during,
//                        observations, limit; AnomalyQueryFromParams)
//   /trends             ComputeTrends per suite and system, as `faultline trends`: verdicts
//                        over time, metrics, regressions, flaky specs
//   /api/runs           the runs page as JSON (same parameters; `faultline runs --json`'s shape)
//
// Files are served only from inside the results folder: a path with a "." or ".." segment
// (however encoded), an absolute path, or one that leads outside through a symlink is refused
// with 403. Bad parameters are a 400 naming the parameter. Nothing here writes.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "harness/history/history_store.h"
#include "harness/serve/http_server.h"

namespace faultline::harness::serve {

struct SiteOptions {
  std::string store_path;             // quoted on pages and in replay commands
  std::filesystem::path results_dir;  // the only folder files are served from
  size_t file_size_max = 64u << 20;   // larger files: 413 naming the path on disk
  std::function<int64_t()> now_ms;    // for "7d" filters (default: the system clock)
};

class Site {
 public:
  Site(HistoryStore* store, SiteOptions options);
  HttpResponse Handle(const HttpRequest& request);

 private:
  HttpResponse Route(const HttpRequest& request);
  HttpResponse RunFile(int64_t run_id, const std::string& rest, const std::string& query_fresh);
  HttpResponse ResultsFile(const std::string& relative, const std::string& url_prefix);

  HistoryStore* store_;
  SiteOptions options_;
};

}  // namespace faultline::harness::serve
