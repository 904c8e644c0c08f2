#include "harness/serve/site.h"

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "harness/query/query.h"
#include "harness/query/query_json.h"
#include "harness/report/html_report.h"
#include "harness/report/run_view.h"
#include "harness/serve/pages.h"
#include "harness/serve/request_target.h"
#include "harness/serve/store_queries.h"

namespace faultline::harness::serve {
namespace {

namespace fs = std::filesystem;

// Pages and served reports have no script: nothing a run folder holds may run one either.
constexpr const char* kPolicy =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'";

HttpResponse Html(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("Content-Security-Policy", kPolicy);
  return r;
}

HttpResponse Redirect(const std::string& location) {
  HttpResponse r = Html(301, "");
  r.content_type = "text/plain; charset=utf-8";
  r.body = "moved to " + location + "\n";
  r.headers.emplace_back("Location", location);
  return r;
}

std::string ContentType(const fs::path& p) {
  std::string ext = p.extension().string();
  if (ext == ".html" || ext == ".htm") return "text/html; charset=utf-8";
  if (ext == ".xml") return "application/xml; charset=utf-8";
  if (ext == ".json") return "application/json; charset=utf-8";
  if (ext == ".txt" || ext == ".log" || ext == ".jsonl" || ext == ".yaml" || ext == ".yml" ||
      ext == ".edn" || ext == ".csv" || ext == ".md" || ext == ".out" || ext == ".err" ||
      ext == ".cfg" || ext == ".conf" || ext.empty()) {
    return "text/plain; charset=utf-8";
  }
  return "application/octet-stream";
}

// A served report gets a bar of links back into serve (the file itself stays self-contained).
std::string WithNavigation(std::string html, int64_t run_id, bool has_folder, bool rendered) {
  size_t body = html.find("<body>");
  if (body == std::string::npos) return html;
  std::string bar = fmt::format(
      "<div id=\"serve-nav\" style=\"background:#1d2330;color:#c5cad3;padding:6px 20px;"
      "font:13px system-ui,sans-serif\"><a style=\"color:#fff;margin-right:16px\" href=\"/runs\">"
      "\u2190 all runs</a><a style=\"color:#fff;margin-right:16px\" href=\"/anomalies\">"
      "anomalies</a>{}<span>{}</span></div>",
      has_folder ? fmt::format("<a style=\"color:#fff;margin-right:16px\" "
                               "href=\"/results/runs/{}/\">run folder</a>",
                               run_id)
                 : "",
      rendered ? "rendered from the store just now" : "report.html from the run folder");
  return html.insert(body + 6, bar);
}

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Site::Site(HistoryStore* store, SiteOptions options) : store_(store), options_(std::move(options)) {
  if (!options_.now_ms) options_.now_ms = SystemNowMs;
}

HttpResponse Site::Handle(const HttpRequest& request) {
  try {
    return Route(request);
  } catch (const std::exception& e) {
    return Html(
        500, ErrorPage({options_.store_path, ""}, 500, std::string("internal error: ") + e.what()));
  }
}

HttpResponse Site::Route(const HttpRequest& request) {
  PageFrame frame{options_.store_path, ""};
  auto error = [&](int status, const std::string& message) {
    return Html(status, ErrorPage(frame, status, message));
  };
  Result<Target> target = ParseTarget(request.target);
  if (!target.ok()) return error(400, "bad request target: " + target.status().message());
  const std::string& path = target->path;
  const auto& params = target->query;
  auto store_error = [&](const Status& s) {
    return error(500, "cannot read the store: " + s.message());
  };

  if (path == "/" || path == "/runs" || path == "/runs/" || path == "/api/runs") {
    Result<query::RunFilter> filter = query::RunFilterFromParams(params, options_.now_ms());
    if (!filter.ok()) return error(400, filter.status().message());
    Result<std::vector<RunRecord>> runs = query::FindRuns(*store_, *filter);
    if (!runs.ok()) return store_error(runs.status());
    if (path == "/api/runs") {
      HttpResponse r;
      r.content_type = "application/json; charset=utf-8";
      r.body = query::RunsJson(*runs).dump(1) + "\n";
      return r;
    }
    Result<FilterChoices> choices = LoadFilterChoices(*store_);
    if (!choices.ok()) return store_error(choices.status());
    frame.active = "runs";
    return Html(200, RunsPage(frame, *filter, *choices, *runs, params));
  }
  if (path == "/anomalies") {
    Result<query::AnomalyQuery> q = query::AnomalyQueryFromParams(params, options_.now_ms());
    if (!q.ok()) return error(400, q.status().message());
    Result<query::AnomalyReport> report = query::FindAnomalies(*store_, *q);
    if (!report.ok()) return store_error(report.status());
    Result<FilterChoices> choices = LoadFilterChoices(*store_);
    if (!choices.ok()) return store_error(choices.status());
    frame.active = "anomalies";
    return Html(200, AnomaliesPage(frame, *q, *choices, *report, params));
  }
  if (path == "/trends") {
    Result<query::TrendOptions> o = query::TrendOptionsFromParams(params, options_.now_ms());
    if (!o.ok()) return error(400, o.status().message());
    Result<query::TrendReport> report = query::ComputeTrends(*store_, *o);
    if (!report.ok()) return store_error(report.status());
    Result<FilterChoices> choices = LoadFilterChoices(*store_);
    if (!choices.ok()) return store_error(choices.status());
    frame.active = "trends";
    return Html(200, TrendsPage(frame, *choices, *report, params));
  }
  if (path.rfind("/runs/", 0) == 0) {
    std::string rest = path.substr(6);
    size_t slash = rest.find('/');
    std::string id_text = rest.substr(0, slash);
    if (id_text.empty() || id_text.size() > 18 ||
        id_text.find_first_not_of("0123456789") != std::string::npos) {
      return error(404, "no such page: runs are /runs/ID/ with a numeric run id");
    }
    int64_t id = std::stoll(id_text);
    if (slash == std::string::npos) return Redirect("/runs/" + id_text + "/");
    auto fresh = params.find("fresh");
    return RunFile(id, rest.substr(slash + 1),
                   fresh == params.end() ? std::string() : fresh->second);
  }
  if (path == "/results") return Redirect("/results/");
  if (path.rfind("/results/", 0) == 0) return ResultsFile(path.substr(9), "/results/");
  return error(404, "no such page: " + path.substr(0, 200));
}

namespace {

// Serves one file or folder listing (already resolved inside the results folder).
HttpResponse ServePath(const PageFrame& frame, const fs::path& file, const std::string& url,
                       size_t size_max) {
  std::error_code ec;
  if (fs::is_directory(file, ec)) {
    if (url.empty() || url.back() != '/') return Redirect(url + "/");
    std::vector<DirEntry> entries;
    for (const auto& e : fs::directory_iterator(file, ec)) {
      std::error_code e2;
      DirEntry d{e.path().filename().string(), e.is_directory(e2), 0};
      if (!d.directory) d.size = e.file_size(e2);
      entries.push_back(std::move(d));
    }
    std::sort(entries.begin(), entries.end(), [](const DirEntry& a, const DirEntry& b) {
      return a.directory != b.directory ? a.directory : a.name < b.name;
    });
    return Html(200, DirectoryPage(frame, url, entries));
  }
  if (!fs::is_regular_file(file, ec)) {
    return Html(403, ErrorPage(frame, 403, "refused: not a regular file"));
  }
  uintmax_t size = fs::file_size(file, ec);
  if (ec) return Html(404, ErrorPage(frame, 404, "cannot read " + url));
  if (size > size_max) {
    return Html(413, ErrorPage(frame, 413,
                               fmt::format("{} is {} bytes, more than serve sends ({}); open {} "
                                           "on disk",
                                           url, size, size_max, file.string())));
  }
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  if (!in && !in.eof()) return Html(404, ErrorPage(frame, 404, "cannot read " + url));
  HttpResponse r = Html(200, s.str());
  r.content_type = ContentType(file);
  return r;
}

}  // namespace

HttpResponse Site::ResultsFile(const std::string& relative, const std::string& url_prefix) {
  PageFrame frame{options_.store_path, "results"};
  Result<fs::path> file = ResolveUnder(options_.results_dir, relative);
  if (!file.ok()) {
    int status = file.status().code() == StatusCode::kNotFound ? 404 : 403;
    return Html(status,
                ErrorPage(frame, status,
                          url_prefix + relative.substr(0, 200) + ": " + file.status().message()));
  }
  return ServePath(frame, *file, url_prefix + relative, options_.file_size_max);
}

HttpResponse Site::RunFile(int64_t run_id, const std::string& rest, const std::string& fresh) {
  PageFrame frame{options_.store_path, "runs"};
  Result<RunRecord> run = store_->GetRun(run_id);
  if (!run.ok()) {
    int status = run.status().code() == StatusCode::kNotFound ? 404 : 500;
    return Html(status, ErrorPage(frame, status, run.status().message()));
  }
  // The run's folder, if it is inside the results folder (as recorded, else <results>/runs/ID).
  std::optional<fs::path> folder;
  std::error_code ec;
  fs::path root = fs::canonical(options_.results_dir, ec);
  for (const fs::path& candidate :
       {fs::path(run->folder), options_.results_dir / "runs" / std::to_string(run_id)}) {
    if (candidate.empty() || ec) continue;
    std::error_code e2;
    fs::path c = fs::canonical(candidate, e2);
    if (!e2 && IsWithin(root, c) && fs::is_directory(c, e2)) {
      folder = c;
      break;
    }
  }
  std::string url = fmt::format("/runs/{}/", run_id);
  if (rest.empty() || rest == "report.html") {
    bool live = run->status == kRunRunning;
    if (folder && !live && fresh.empty() && fs::is_regular_file(*folder / "report.html", ec)) {
      HttpResponse r =
          ServePath(frame, *folder / "report.html", url + "report.html", options_.file_size_max);
      if (r.status == 200) r.body = WithNavigation(std::move(r.body), run_id, true, false);
      return r;
    }
    Result<report::RunView> view = report::LoadRunView(*store_, run_id, options_.store_path);
    if (!view.ok()) {
      return Html(
          500, ErrorPage(frame, 500,
                         fmt::format("cannot load run {}: {}", run_id, view.status().message())));
    }
    return Html(200,
                WithNavigation(report::RenderReportHtml(*view), run_id, folder.has_value(), true));
  }
  if (!folder) {
    return Html(404, ErrorPage(frame, 404,
                               fmt::format("run {} has no folder inside the results folder {}",
                                           run_id, options_.results_dir.string())));
  }
  Result<fs::path> file = ResolveUnder(*folder, rest);
  if (!file.ok()) {
    int status = file.status().code() == StatusCode::kNotFound ? 404 : 403;
    return Html(status, ErrorPage(frame, status,
                                  url + rest.substr(0, 200) + ": " + file.status().message()));
  }
  if (!IsWithin(root, *file)) {
    return Html(403, ErrorPage(frame, 403, "refused: the path leads outside the results folder"));
  }
  return ServePath(frame, *file, url + rest, options_.file_size_max);
}

}  // namespace faultline::harness::serve
