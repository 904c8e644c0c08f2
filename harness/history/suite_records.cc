#include "harness/history/suite_records.h"

#include <fmt/format.h>

#include <chrono>

#include "harness/history/history_schema.h"
#include "harness/history/run_liveness.h"
#include "harness/history/sqlite_db.h"
#include "harness/history/store_util.h"

namespace faultline::harness {
namespace {

Result<bool> HasSuiteTables(SqliteDb& db) {
  Result<std::set<std::string>> cols = TableColumns(db, "suite_cases");
  if (!cols.ok()) return cols.status();
  return !cols->empty();
}

constexpr const char* kSuiteRunColumns =
    "SELECT id, uid, name, file, label, shard, cases, started_ms, ended_ms, exit_code, host, "
    "git_revision FROM suite_runs ";

SuiteRunRecord ReadSuiteRun(const SqliteStmt& st) {
  SuiteRunRecord r;
  r.id = st.Int(0);
  r.uid = st.Text(1);
  r.name = st.Text(2);
  r.file = st.Text(3);
  r.label = st.Text(4);
  r.shard = st.Text(5);
  r.cases = st.Int(6);
  r.started_ms = st.Int(7);
  r.ended_ms = st.OptInt(8);
  r.exit_code = st.OptInt(9);
  r.host = st.Text(10);
  r.git_revision = st.Text(11);
  return r;
}

Result<std::vector<SuiteRunRecord>> QuerySuiteRuns(HistoryStore& store, const std::string& tail,
                                                   int64_t arg) {
  return store.WithConnection([&](SqliteDb& db) -> Result<std::vector<SuiteRunRecord>> {
    std::vector<SuiteRunRecord> out;
    Result<bool> has = HasSuiteTables(db);
    if (!has.ok()) return has.status();
    if (!*has) return out;
    Result<SqliteStmt> st = db.Prepare(std::string(kSuiteRunColumns) + tail);
    if (!st.ok()) return st.status();
    st->Bind(1, arg);
    for (;;) {
      Result<bool> row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      out.push_back(ReadSuiteRun(*st));
    }
    return out;
  });
}

}  // namespace

Result<int64_t> CreateSuiteRun(HistoryStore& store, const SuiteRunRecord& run) {
  return store.WithConnection([&](SqliteDb& db) -> Result<int64_t> {
    Result<SqliteStmt> st = db.Prepare(
        "INSERT INTO suite_runs (uid, name, file, label, shard, cases, started_ms, host, "
        "git_revision) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)");
    if (!st.ok()) return st.status();
    st->Bind(1, run.uid.empty() ? NewStoreUid() : run.uid);
    st->Bind(2, run.name);
    st->Bind(3, run.file);
    st->Bind(4, run.label);
    st->Bind(5, run.shard);
    st->Bind(6, run.cases);
    st->Bind(7, run.started_ms ? run.started_ms : UnixNowMs());
    st->Bind(8, run.host.empty() ? LocalProbe().host : run.host);
    st->Bind(9, run.git_revision);
    if (Status s = st->Run(); !s.ok()) return s;
    return db.LastInsertId();
  });
}

Status RecordSuiteCase(HistoryStore& store, const SuiteCaseRecord& c) {
  return store.WithConnection([&](SqliteDb& db) -> Status {
    Result<SqliteStmt> st = db.Prepare(
        "INSERT OR REPLACE INTO suite_cases (suite_run_id, position, name, kind, file, seed, "
        "run_id, outcome, reason) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)");
    if (!st.ok()) return st.status();
    st->Bind(1, c.suite_run_id);
    st->Bind(2, c.position);
    st->Bind(3, c.name);
    st->Bind(4, c.kind);
    st->Bind(5, c.file);
    st->Bind(6, static_cast<int64_t>(c.seed));
    st->Bind(7, c.run_id);
    st->Bind(8, c.outcome);
    st->Bind(9, c.reason);
    return st->Run();
  });
}

Status FinishSuiteRun(HistoryStore& store, int64_t suite_run_id, int exit_code) {
  return store.WithConnection([&](SqliteDb& db) -> Status {
    Result<SqliteStmt> st =
        db.Prepare("UPDATE suite_runs SET ended_ms=?2, exit_code=?3 WHERE id=?1");
    if (!st.ok()) return st.status();
    st->Bind(1, suite_run_id);
    st->Bind(2, UnixNowMs());
    st->Bind(3, static_cast<int64_t>(exit_code));
    return st->Run();
  });
}

Result<std::vector<SuiteRunRecord>> ListSuiteRuns(HistoryStore& store, int limit) {
  return QuerySuiteRuns(store, "ORDER BY id DESC LIMIT ?1", limit);
}

Result<SuiteRunRecord> GetSuiteRun(HistoryStore& store, int64_t suite_run_id) {
  Result<std::vector<SuiteRunRecord>> runs = QuerySuiteRuns(store, "WHERE id=?1", suite_run_id);
  if (!runs.ok()) return runs.status();
  if (runs->empty()) return Status::NotFound(fmt::format("no suite run {}", suite_run_id));
  return runs->front();
}

Result<std::vector<SuiteCaseRecord>> LoadSuiteCases(HistoryStore& store, int64_t suite_run_id) {
  return store.WithConnection([&](SqliteDb& db) -> Result<std::vector<SuiteCaseRecord>> {
    std::vector<SuiteCaseRecord> out;
    Result<bool> has = HasSuiteTables(db);
    if (!has.ok()) return has.status();
    if (!*has) return out;
    Result<SqliteStmt> st = db.Prepare(
        "SELECT suite_run_id, position, name, kind, file, seed, run_id, outcome, reason FROM "
        "suite_cases WHERE suite_run_id=?1 ORDER BY position");
    if (!st.ok()) return st.status();
    st->Bind(1, suite_run_id);
    for (;;) {
      Result<bool> row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      SuiteCaseRecord c;
      c.suite_run_id = st->Int(0);
      c.position = st->Int(1);
      c.name = st->Text(2);
      c.kind = st->Text(3);
      c.file = st->Text(4);
      c.seed = static_cast<uint64_t>(st->Int(5));
      c.run_id = st->OptInt(6);
      c.outcome = st->Text(7);
      c.reason = st->Text(8);
      out.push_back(std::move(c));
    }
    return out;
  });
}

}  // namespace faultline::harness
