#include "harness/run/judge.h"

#include <algorithm>

#include "checkers/cli/check_command.h"

namespace faultline::harness {

std::string StoredCheckerName(const std::string& spec_name) {
  if (spec_name == "linearizable") return "linearizability";
  if (spec_name == "set") return "lost-writes";
  return spec_name;
}

CheckRows JudgeStoredRun(HistoryStore& store, int64_t run_id, const Promises& promises,
                         const std::vector<std::string>& spec_checkers) {
  Result<checkers::History> h = store.LoadHistory(run_id);
  if (!h.ok()) {
    CheckRows out;
    out.checks.push_back(
        {"history", "unknown", "could not load history: " + h.status().ToString(), {}});
    return out;
  }
  return JudgeHistory(*h, promises, spec_checkers);
}

CheckRows JudgeHistory(checkers::History& history, const Promises& promises,
                       const std::vector<std::string>& spec_checkers) {
  CheckRows out;
  checkers::History* h = &history;
  checkers::ModelOptions model;
  if (!checkers::ParseModelKind(h->model, &model.kind)) {
    model.kind = checkers::ModelKind::kCasRegister;
  }
  if (!promises.linearizable_reads) h->read_mode = checkers::ReadMode::kLocal;
  checkers::CheckPlan plan;
  plan.own_history = true;
  plan.required = promises.checkers;
  checkers::CheckReport report = checkers::RunChecks(*h, model, checkers::Budget{}, plan);
  std::vector<CheckRecord> records;
  auto add = [&](std::string name, checkers::Verdict v, std::string reason,
                 std::vector<checkers::Anomaly> anomalies) {
    records.push_back(CheckRecord{std::move(name), std::string(checkers::VerdictName(v)),
                                  std::move(reason), std::move(anomalies)});
  };
  if (report.ran_linearizability) {
    add("linearizability", report.linearizability.verdict, report.linearizability.reason,
        report.linearizability.anomalies);
  }
  if (report.ran_lost_writes) {
    add("lost-writes", report.lost_writes.verdict, report.lost_writes.reason,
        report.lost_writes.anomalies);
  }
  if (report.ran_invariants) {
    add("zab-invariants", report.invariants.verdict, report.invariants.reason,
        report.invariants.anomalies);
  }
  if (report.ran_session) {
    add("session-order", report.session.verdict, report.session.reason, report.session.anomalies);
  }
  // What the promises allow but reports show (stale plain reads): stored, never a verdict.
  const auto& observed = promises.observations;
  const bool stale_reads =
      std::find(observed.begin(), observed.end(), "stale-reads") != observed.end();
  if (stale_reads && !h->ops.empty()) {
    checkers::StaleReadResult stale = checkers::CheckStaleReads(*h);
    add("stale-reads", checkers::Verdict::kValid, stale.reason, std::move(stale.observations));
  }
  // A promised checker that had nothing to read is not a pass: stored as unknown, with why.
  for (const checkers::NotRun& n : report.not_run) {
    add(n.checker, checkers::Verdict::kUnknown, "could not run: " + n.reason, {});
  }
  for (auto& r : records) {
    bool selected = promises.Promised(r.checker);
    if (selected && !spec_checkers.empty()) {
      selected = false;
      for (const auto& name : spec_checkers) selected |= StoredCheckerName(name) == r.checker;
    }
    if (!selected && r.checker == "stale-reads" && stale_reads) {
      out.observations.push_back(std::move(r));  // observations only: no verdict
      continue;
    }
    if (selected) out.checks.push_back(std::move(r));
  }
  return out;
}

}  // namespace faultline::harness
