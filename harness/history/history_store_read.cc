// HistoryStore readers: runs, faults, verdicts and a run's whole History, read on the store's
// connection under its mutex (so they see every committed batch).
#include <fmt/format.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <variant>

#include "harness/history/history_codec.h"
#include "harness/history/history_store.h"
#include "harness/history/run_liveness.h"
#include "harness/history/sqlite_db.h"

namespace faultline::harness {

namespace {

RunRecord ReadRun(const SqliteStmt& st) {
  RunRecord r;
  r.id = st.Int(0);
  r.suite = st.Text(1);
  r.spec_text = st.Text(2);
  r.seed = static_cast<uint64_t>(st.Int(3));
  r.git_revision = st.Text(4);
  r.folder = st.Text(5);
  r.started_ms = st.Int(6);
  r.ended_ms = st.OptInt(7);
  r.recorded_status = st.Text(8);
  r.status = r.recorded_status;
  r.verdict = st.Text(9);
  r.schedule_json = st.Text(10);
  r.replay_of = st.OptInt(11);
  r.summary = st.Text(12);
  r.anomaly_count = st.Int(13);
  r.system = st.Text(14);
  r.controller_pid = st.OptInt(15);
  r.controller_host = st.Text(16);
  r.heartbeat_ms = st.OptInt(17);
  r.observation_count = st.Int(18);
  r.uid = st.Text(19);
  if (r.system.empty()) r.system = SystemOfSpec(r.spec_text);
  return r;
}

// A store of an older schema (read-only, not upgraded) may lack the liveness columns and
// anomalies.observation: read defaults (every stored anomaly is then an anomaly).
std::string RunColumns(bool liveness, bool observation, bool uid) {
  return fmt::format(
      "SELECT id, suite, spec, seed, git_revision, folder, started_ms, ended_ms, status, verdict, "
      "schedule, replay_of, summary, "
      "(SELECT COUNT(*) FROM anomalies a WHERE a.run_id = runs.id{}), {}, {}, {} FROM runs ",
      observation ? " AND a.observation = 0" : "",
      liveness ? "system, controller_pid, controller_host, heartbeat_ms" : "'', NULL, '', NULL",
      observation
          ? "(SELECT COUNT(*) FROM anomalies a WHERE a.run_id = runs.id AND a.observation != 0)"
          : "0",
      uid ? "uid" : "''");
}

// Latest sign of life of a row without heartbeats (recorded before they existed): its last op or
// fault time, else its start.
Result<int64_t> LastActivityMs(SqliteDb& db, const RunRecord& r) {
  Result<SqliteStmt> st = db.Prepare(
      "SELECT MAX(t) FROM (SELECT MAX(COALESCE(complete_ns, invoke_ns)) AS t FROM ops WHERE "
      "run_id=?1 UNION ALL SELECT MAX(COALESCE(stop_ns, start_ns)) FROM faults WHERE run_id=?1)");
  if (!st.ok()) return st.status();
  st->Bind(1, r.id);
  Result<bool> row = st->Step();
  if (!row.ok()) return row.status();
  int64_t last = r.started_ms;
  if (*row && !st->IsNull(0)) last = std::max(last, st->Int(0) / 1'000'000);
  return last;
}

}  // namespace

// Fills last_heard_ms and the effective status of rows just read (run_liveness.h).
Status HistoryStore::ResolveLiveness(std::vector<RunRecord>* runs) {
  LivenessProbe probe = LocalProbe();
  for (RunRecord& r : *runs) {
    if (r.heartbeat_ms) {
      r.last_heard_ms = *r.heartbeat_ms;
    } else if (r.ended_ms) {
      r.last_heard_ms = *r.ended_ms;
    } else if (r.recorded_status == kRunRunning) {
      Result<int64_t> last = LastActivityMs(Db(), r);
      if (!last.ok()) return last.status();
      r.last_heard_ms = *last;
    } else {
      r.last_heard_ms = r.started_ms;
    }
    ApplyLiveness(probe, &r);
  }
  return Status::Ok();
}

Result<std::vector<RunRecord>> HistoryStore::QueryRuns(const std::string& where_order_limit,
                                                       const std::vector<SqlArg>& args) {
  std::lock_guard<std::mutex> lock(DbMutex());
  SqliteDb& db = Db();
  Result<SqliteStmt> st = db.Prepare(
      RunColumns(HasLivenessColumns(), HasObservationColumn(), HasUidColumn()) + where_order_limit);
  if (!st.ok()) return st.status();
  for (size_t i = 0; i < args.size(); ++i) {
    int n = static_cast<int>(i) + 1;
    std::visit([&](const auto& v) { st->Bind(n, v); }, args[i]);
  }
  std::vector<RunRecord> out;
  for (;;) {
    Result<bool> row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back(ReadRun(*st));
  }
  if (Status s = ResolveLiveness(&out); !s.ok()) return s;
  return out;
}

Result<std::vector<RunRecord>> HistoryStore::ListRuns(int limit) {
  return QueryRuns("ORDER BY id DESC LIMIT ?1", {static_cast<int64_t>(limit)});
}

Result<RunRecord> HistoryStore::GetRun(int64_t run_id) {
  Result<std::vector<RunRecord>> runs = QueryRuns("WHERE id=?1", {run_id});
  if (!runs.ok()) return runs.status();
  if (runs->empty()) return Status::NotFound(fmt::format("no run {} in the store", run_id));
  return std::move(runs->front());
}

Result<std::vector<FaultRecord>> HistoryStore::LoadFaults(int64_t run_id) {
  std::lock_guard<std::mutex> lock(DbMutex());
  SqliteDb& db = Db();
  {
    Result<SqliteStmt> st = db.Prepare(
        "SELECT fault_index, kind, targets, start_ns, stop_ns, description, detail FROM faults "
        "WHERE run_id=?1 ORDER BY fault_index");
    if (!st.ok()) return st.status();
    st->Bind(1, run_id);
    std::vector<FaultRecord> out;
    for (;;) {
      Result<bool> row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      FaultRecord f;
      f.index = st->Int(0);
      f.kind = st->Text(1);
      f.targets = nlohmann::json::parse(st->Text(2), nullptr, false).get<std::vector<int64_t>>();
      f.start_ns = st->Int(3);
      f.stop_ns = st->OptInt(4);
      f.description = st->Text(5);
      f.detail_json = st->Text(6);
      out.push_back(std::move(f));
    }
    return out;
  }
}

Result<std::vector<CheckRecord>> HistoryStore::LoadChecks(int64_t run_id) {
  std::lock_guard<std::mutex> lock(DbMutex());
  SqliteDb& db = Db();
  {
    Result<SqliteStmt> v =
        db.Prepare("SELECT checker, verdict, reason FROM verdicts WHERE run_id=?1 ORDER BY rowid");
    if (!v.ok()) return v.status();
    v->Bind(1, run_id);
    std::vector<CheckRecord> out;
    for (;;) {
      Result<bool> row = v->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      out.push_back(CheckRecord{v->Text(0), v->Text(1), v->Text(2), {}});
    }
    Result<SqliteStmt> a = db.Prepare(
        std::string("SELECT checker, key, description, start_ns, end_ns, ops, detail, ") +
        (HasObservationColumn() ? "observation" : "0") +
        " FROM anomalies WHERE run_id=?1 ORDER BY rowid");
    if (!a.ok()) return a.status();
    a->Bind(1, run_id);
    for (;;) {
      Result<bool> row = a->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      checkers::Anomaly an;
      an.checker = a->Text(0);
      an.key = a->Text(1);
      an.description = a->Text(2);
      an.start_ns = a->Int(3);
      an.end_ns = a->Int(4);
      auto ops = nlohmann::json::parse(a->Text(5), nullptr, false);
      if (ops.is_array()) an.ops = ops.get<std::vector<int64_t>>();
      an.detail = a->Text(6);
      an.observation = a->Int(7) != 0;
      // Attach to the verdict row of the same checker (a checker may name anomalies differently
      // from its verdict row; unmatched ones go to the last row).
      CheckRecord* owner = nullptr;
      for (auto& c : out) {
        // ("lost-write" anomalies belong to the "lost-writes" row.)
        if (c.checker == an.checker || c.checker == an.checker + "s") owner = &c;
      }
      if (!owner) {
        if (out.empty()) out.push_back(CheckRecord{an.checker, "invalid", "", {}});
        owner = &out.back();
      }
      owner->anomalies.push_back(std::move(an));
    }
    return out;
  }
}

Result<checkers::History> HistoryStore::LoadHistory(int64_t run_id) {
  Result<RunRecord> run = GetRun(run_id);
  if (!run.ok()) return run.status();
  Result<std::vector<FaultRecord>> faults = LoadFaults(run_id);
  if (!faults.ok()) return faults.status();
  std::lock_guard<std::mutex> lock(DbMutex());
  SqliteDb& db = Db();
  {
    checkers::History h;
    h.source = fmt::format("run {}", run_id);
    h.origin_ms = run->started_ms;
    DescribeRunModel(run->spec_text, &h);
    Result<SqliteStmt> st = db.Prepare(
        "SELECT op_index, process, f, key, value, expected, elements, node, invoke_ns, "
        "complete_ns, outcome, zxid FROM ops WHERE run_id=?1 ORDER BY op_index");
    if (!st.ok()) return st.status();
    st->Bind(1, run_id);
    for (;;) {
      Result<bool> row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      checkers::Op op;
      op.index = st->Int(0);
      op.process = st->Int(1);
      op.f = FnFromText(st->Text(2));
      op.key = st->Text(3);
      op.value = st->OptText(4);
      op.expected = st->OptText(5);
      if (auto els = st->OptText(6)) {
        auto j = nlohmann::json::parse(*els, nullptr, false);
        if (j.is_array()) op.elements = j.get<std::vector<std::string>>();
      }
      op.node = st->OptInt(7);
      op.invoke_ns = st->Int(8);
      std::optional<std::string> outcome = st->OptText(10);
      if (outcome && !st->IsNull(9)) {
        op.complete_ns = st->Int(9);
        op.outcome = OutcomeFromText(*outcome);
      } else {
        op.complete_ns = checkers::kOpenNs;  // never completed: counts as info
        op.outcome = checkers::Outcome::kInfo;
      }
      op.zxid = st->OptInt(11);
      h.ops.push_back(std::move(op));
    }
    for (const auto& f : *faults) {
      h.faults.push_back(checkers::Fault{f.kind, f.targets, f.start_ns,
                                         f.stop_ns.value_or(checkers::kOpenNs), f.description});
    }
    Result<SqliteStmt> ev = db.Prepare(
        "SELECT node, ts_ms, type, json FROM node_events WHERE run_id=?1 ORDER BY rowid");
    if (!ev.ok()) return ev.status();
    ev->Bind(1, run_id);
    for (;;) {
      Result<bool> row = ev->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      checkers::NodeEvent e;
      e.node = ev->Int(0);
      e.ts_ms = ev->Int(1);
      e.type = ev->Text(2);
      e.fields = checkers::FieldList::FromJson(nlohmann::json::parse(ev->Text(3), nullptr, false));
      h.node_events.push_back(std::move(e));
    }
    return h;
  }
}

}  // namespace faultline::harness
