#include "harness/query/query_json.h"

namespace faultline::harness::query {
namespace {

template <typename T>
nlohmann::json Opt(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json RunJson(const RunRecord& r) {
  return {{"id", r.id},
          {"suite", r.suite},
          {"system", r.system},
          {"seed", r.seed},
          {"git_revision", r.git_revision},
          {"folder", r.folder},
          {"started_ms", r.started_ms},
          {"ended_ms", Opt(r.ended_ms)},
          {"status", r.status},
          {"verdict", r.verdict},
          {"replay_of", Opt(r.replay_of)},
          {"anomaly_count", r.anomaly_count},
          {"observation_count", r.observation_count},
          {"summary", r.summary},
          {"last_heard_ms", r.last_heard_ms},
          {"uid", r.uid}};
}

nlohmann::json RunsJson(const std::vector<RunRecord>& runs) {
  nlohmann::json out = nlohmann::json::array();
  for (const RunRecord& r : runs) out.push_back(RunJson(r));
  return out;
}

nlohmann::json MetricsJson(const RunMetrics& m) {
  return {{"ops", m.ops},
          {"ok", m.ok},
          {"workload_ms", m.workload_ms},
          {"ok_per_s", m.ok_per_s},
          {"p50_ms", Opt(m.p50_ms)},
          {"p99_ms", Opt(m.p99_ms)},
          {"max_ms", Opt(m.max_ms)},
          {"failover_ms", Opt(m.failover_ms)},
          {"failover_open", m.failover_open},
          {"failover_fault", Opt(m.failover_fault)},
          {"failover_basis", m.failover_basis}};
}

nlohmann::json AnomaliesJson(const AnomalyReport& report) {
  nlohmann::json rows = nlohmann::json::array();
  for (const AnomalyRow& a : report.rows) {
    rows.push_back({{"run_id", a.run_id},
                    {"suite", a.suite},
                    {"system", a.system},
                    {"run_started_ms", a.run_started_ms},
                    {"kind", a.kind},
                    {"key", a.key},
                    {"description", a.description},
                    {"start_ns", a.start_ns},
                    {"end_ns", a.end_ns},
                    {"observation", a.observation},
                    {"faults", a.faults},
                    {"report_anchor", a.report_anchor}});
  }
  nlohmann::json groups = nlohmann::json::array();
  for (const AnomalyGroup& g : report.groups) {
    groups.push_back({{"kind", g.kind},
                      {"faults", g.faults},
                      {"count", g.count},
                      {"run_ids", g.run_ids},
                      {"first_ms", g.first_ms},
                      {"last_ms", g.last_ms}});
  }
  return {{"total", report.total}, {"groups", groups}, {"anomalies", rows}};
}

nlohmann::json TrendsJson(const TrendReport& report) {
  nlohmann::json suites = nlohmann::json::array();
  for (const SuiteTrend& t : report.suites) {
    nlohmann::json points = nlohmann::json::array();
    for (const TrendPoint& p : t.points) {
      points.push_back({{"run_id", p.run_id},
                        {"started_ms", p.started_ms},
                        {"verdict", p.verdict},
                        {"git_revision", p.git_revision},
                        {"seed", p.seed},
                        {"metrics", MetricsJson(p.metrics)}});
    }
    nlohmann::json metrics = nlohmann::json::array();
    for (const MetricSummary& m : t.metrics) {
      metrics.push_back({{"metric", m.metric},
                         {"runs", m.runs},
                         {"mean", m.mean},
                         {"stddev", m.stddev},
                         {"min", m.min},
                         {"max", m.max},
                         {"latest", Opt(m.latest)}});
    }
    nlohmann::json regressions = nlohmann::json::array();
    for (const Regression& r : t.regressions) {
      regressions.push_back({{"run_id", r.run_id},
                             {"metric", r.metric},
                             {"value", r.value},
                             {"baseline_mean", r.baseline_mean},
                             {"baseline_stddev", r.baseline_stddev},
                             {"threshold", r.threshold},
                             {"baseline_runs", r.baseline_runs}});
    }
    nlohmann::json flaky = nlohmann::json::array();
    for (const FlakySpec& f : t.flaky) {
      flaky.push_back({{"spec_key", f.spec_key}, {"verdicts", f.verdicts}, {"run_ids", f.run_ids}});
    }
    suites.push_back({{"suite", t.suite},
                      {"system", t.system},
                      {"points", points},
                      {"metrics", metrics},
                      {"regressions", regressions},
                      {"flaky", flaky}});
  }
  return {{"suites", suites}};
}

}  // namespace faultline::harness::query
