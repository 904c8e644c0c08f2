// ComputeTrends: finished runs grouped by (suite, system) with their metrics, regressions beyond
// the run-to-run spread, and flaky specs.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "harness/history/store_util.h"
#include "harness/query/query.h"

namespace faultline::harness::query {
namespace {

struct MetricDef {
  const char* name;
  bool lower_is_worse;
  std::function<std::optional<double>(const RunMetrics&)> get;
};

const std::vector<MetricDef>& Metrics() {
  static const std::vector<MetricDef> defs = {
      {"ok_per_s", true, [](const RunMetrics& m) -> std::optional<double> { return m.ok_per_s; }},
      {"p99_ms", false, [](const RunMetrics& m) { return m.p99_ms; }},
      {"failover_ms", false, [](const RunMetrics& m) { return m.failover_ms; }},
  };
  return defs;
}

void MeanStddev(const std::vector<double>& v, double* mean, double* sd) {
  double sum = 0;
  for (double x : v) sum += x;
  *mean = v.empty() ? 0 : sum / static_cast<double>(v.size());
  double sq = 0;
  for (double x : v) sq += (x - *mean) * (x - *mean);
  *sd = v.size() > 1 ? std::sqrt(sq / static_cast<double>(v.size() - 1)) : 0;
}

}  // namespace

std::string SpecKey(const std::string& spec_text) {
  std::string canonical = spec_text;
  try {
    YAML::Node root = YAML::Load(spec_text);
    if (root.IsMap()) {
      root.remove("seed");
      YAML::Emitter e;
      e << root;
      canonical = e.c_str();
    }
  } catch (const YAML::Exception&) {
    // Not YAML (should not happen for a stored spec): the text itself is the key.
  }
  return StableHash(canonical);
}

std::vector<MetricSummary> SummarizeMetrics(const std::vector<TrendPoint>& points) {
  std::vector<MetricSummary> out;
  for (const MetricDef& def : Metrics()) {
    MetricSummary s;
    s.metric = def.name;
    std::vector<double> values;
    for (const TrendPoint& p : points) {
      if (auto v = def.get(p.metrics)) values.push_back(*v);
    }
    s.runs = static_cast<int64_t>(values.size());
    if (!values.empty()) {
      MeanStddev(values, &s.mean, &s.stddev);
      s.min = *std::min_element(values.begin(), values.end());
      s.max = *std::max_element(values.begin(), values.end());
      s.latest = values.back();
    }
    out.push_back(s);
  }
  return out;
}

std::vector<Regression> FindRegressions(const std::vector<TrendPoint>& points,
                                        const TrendOptions& o) {
  std::vector<Regression> out;
  for (const MetricDef& def : Metrics()) {
    std::vector<double> seen;  // values of the earlier runs that have the metric
    for (const TrendPoint& p : points) {
      std::optional<double> v = def.get(p.metrics);
      if (!v) continue;
      size_t n = std::min(seen.size(), static_cast<size_t>(std::max(o.window, 1)));
      if (static_cast<int>(n) >= o.min_baseline && n > 0) {
        std::vector<double> base(seen.end() - static_cast<std::ptrdiff_t>(n), seen.end());
        double mean = 0, sd = 0;
        MeanStddev(base, &mean, &sd);
        double threshold = std::max(o.sigmas * sd, o.min_relative * std::abs(mean));
        double worse_by = def.lower_is_worse ? mean - *v : *v - mean;
        if (worse_by > threshold) {
          out.push_back(
              Regression{p.run_id, def.name, *v, mean, sd, threshold, static_cast<int64_t>(n)});
        }
      }
      seen.push_back(*v);
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Regression& a, const Regression& b) { return a.run_id < b.run_id; });
  return out;
}

Result<TrendReport> ComputeTrends(HistoryStore& store, const TrendOptions& options) {
  if (options.window < 1 || options.min_baseline < 1) {
    return Status::InvalidArgument("window and min_baseline must be at least 1");
  }
  RunFilter f = options.runs;
  f.status = kRunFinished;
  Result<std::vector<RunRecord>> runs = FindRuns(store, f);
  if (!runs.ok()) return runs.status();
  std::reverse(runs->begin(), runs->end());  // oldest first

  std::vector<int64_t> ids;
  for (const RunRecord& r : *runs) ids.push_back(r.id);
  Result<std::map<int64_t, RunMetrics>> stored = LoadStoredRunMetrics(store, ids);
  if (!stored.ok()) return stored.status();

  std::map<std::pair<std::string, std::string>, SuiteTrend> groups;
  std::map<std::pair<std::string, std::string>, std::map<std::string, FlakySpec>> specs;
  for (const RunRecord& r : *runs) {
    TrendPoint p;
    p.run_id = r.id;
    p.started_ms = r.started_ms;
    p.verdict = r.verdict;
    p.git_revision = r.git_revision;
    p.seed = r.seed;
    if (auto it = stored->find(r.id); it != stored->end()) {
      p.metrics = it->second;
    } else {
      Result<RunMetrics> m = RunMetricsOf(store, r.id);
      if (!m.ok()) return m.status();
      p.metrics = *m;
    }
    auto key = std::make_pair(r.suite, r.system);
    SuiteTrend& t = groups[key];
    t.suite = r.suite;
    t.system = r.system;
    t.points.push_back(std::move(p));
    std::string sk = SpecKey(r.spec_text);
    FlakySpec& fs = specs[key][sk];
    fs.spec_key = sk;
    ++fs.verdicts[r.verdict.empty() ? "none" : r.verdict];
    fs.run_ids.push_back(r.id);
  }
  TrendReport report;
  for (auto& [key, t] : groups) {
    t.metrics = SummarizeMetrics(t.points);
    t.regressions = FindRegressions(t.points, options);
    for (auto& [sk, fs] : specs[key]) {
      if (fs.verdicts.count("valid") && fs.verdicts.count("invalid")) t.flaky.push_back(fs);
    }
    report.suites.push_back(std::move(t));
  }
  return report;
}

Result<TrendOptions> TrendOptionsFromParams(const std::map<std::string, std::string>& params,
                                            int64_t now_ms) {
  std::map<std::string, std::string> run_params = params;
  if (!run_params.count("limit") || run_params["limit"].empty()) run_params["limit"] = "0";
  Result<RunFilter> runs = RunFilterFromParams(run_params, now_ms);
  if (!runs.ok()) return runs.status();
  TrendOptions o;
  o.runs = std::move(runs).value();
  return o;
}

}  // namespace faultline::harness::query
