// HistoryStore's run-level writers (synchronous; see history_store.h): the run row from creation
// to finish, and stored checks.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>
#include <random>

#include "harness/history/history_codec.h"
#include "harness/history/history_store.h"
#include "harness/history/run_liveness.h"
#include "harness/history/run_rows.h"
#include "harness/history/sqlite_db.h"
#include "harness/history/store_util.h"

namespace faultline::harness {
namespace {

// Marks crashed every `running` row whose controller is gone (run_liveness.h), so that a plain
// sqlite3 query sees the same truth as faultline's readers.
Status SweepCrashedRuns(SqliteDb& db) {
  Result<SqliteStmt> st = db.Prepare(
      "SELECT id, controller_pid, controller_host, COALESCE(heartbeat_ms, started_ms) FROM runs "
      "WHERE status=?1");
  if (!st.ok()) return st.status();
  st->Bind(1, std::string(kRunRunning));
  LivenessProbe probe = LocalProbe();
  std::vector<int64_t> gone;
  for (;;) {
    Result<bool> row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    RunRecord r;
    r.recorded_status = kRunRunning;
    r.controller_pid = st->OptInt(1);
    r.controller_host = st->Text(2);
    r.last_heard_ms = st->Int(3);
    // Rows without a heartbeat (older controllers) are left to the readers, which look at
    // their last op; a writer only records what is certain from the row itself.
    if (!st->IsNull(1) && ControllerGone(probe, r)) gone.push_back(st->Int(0));
  }
  for (int64_t id : gone) {
    Result<SqliteStmt> up = db.Prepare("UPDATE runs SET status=?2 WHERE id=?1 AND status=?3");
    if (!up.ok()) return up.status();
    up->Bind(1, id);
    up->Bind(2, std::string(kRunCrashed));
    up->Bind(3, std::string(kRunRunning));
    if (Status s = up->Run(); !s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace

Result<int64_t> HistoryStore::CreateRun(const RunRecord& run) {
  LivenessProbe self = LocalProbe();
  Result<int64_t> id = WithConnection([&](SqliteDb& db) -> Result<int64_t> {
    if (Status s = SweepCrashedRuns(db); !s.ok()) return s;
    Result<SqliteStmt> st = db.Prepare(
        "INSERT INTO runs (suite, spec, seed, git_revision, folder, started_ms, status, "
        "schedule, replay_of, system, controller_pid, controller_host, heartbeat_ms, uid) "
        "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)");
    if (!st.ok()) return st.status();
    st->Bind(1, run.suite);
    st->Bind(2, run.spec_text);
    st->Bind(3, static_cast<int64_t>(run.seed));
    st->Bind(4, run.git_revision);
    st->Bind(5, run.folder);
    st->Bind(6, run.started_ms);
    st->Bind(7, std::string(kRunRunning));
    st->Bind(8, run.schedule_json.empty() ? std::string("[]") : run.schedule_json);
    st->Bind(9, run.replay_of);
    st->Bind(10, run.system.empty() ? SystemOfSpec(run.spec_text) : run.system);
    st->Bind(11, static_cast<int64_t>(getpid()));
    st->Bind(12, self.host);
    st->Bind(13, self.now_ms);
    st->Bind(14, run.uid.empty() ? NewStoreUid() : run.uid);
    if (Status s = st->Run(); !s.ok()) return s;
    return db.LastInsertId();
  });
  if (id.ok()) SetLive(*id, true);
  return id;
}

Status HistoryStore::SetRunFolder(int64_t run_id, const std::string& folder) {
  return WithConnection([&](SqliteDb& db) -> Status {
    Result<SqliteStmt> st = db.Prepare("UPDATE runs SET folder=?2 WHERE id=?1");
    if (!st.ok()) return st.status();
    st->Bind(1, run_id);
    st->Bind(2, folder);
    return st->Run();
  });
}

Status WriteScheduleRow(SqliteDb& db, int64_t run_id, const std::string& schedule_json) {
  Result<SqliteStmt> st = db.Prepare("UPDATE runs SET schedule=?2 WHERE id=?1");
  if (!st.ok()) return st.status();
  st->Bind(1, run_id);
  st->Bind(2, schedule_json);
  return st->Run();
}

Status WriteFinishRow(SqliteDb& db, int64_t run_id, const std::string& status,
                      const std::string& verdict, const std::string& summary, int64_t ended_ms) {
  Result<SqliteStmt> st = db.Prepare(
      "UPDATE runs SET status=?2, verdict=?3, ended_ms=?4, summary=?5, heartbeat_ms=?4 "
      "WHERE id=?1");
  if (!st.ok()) return st.status();
  st->Bind(1, run_id);
  st->Bind(2, status);
  st->Bind(3, verdict);
  st->Bind(4, ended_ms);
  st->Bind(5, summary);
  return st->Run();
}

Status WriteCheckRows(SqliteDb& db, int64_t run_id, const CheckRecord& check) {
  Result<SqliteStmt> v =
      db.Prepare("INSERT INTO verdicts (run_id, checker, verdict, reason) VALUES (?1,?2,?3,?4)");
  if (!v.ok()) return v.status();
  v->Bind(1, run_id);
  v->Bind(2, check.checker);
  v->Bind(3, check.verdict);
  v->Bind(4, check.reason);
  Status s = v->Run();
  Result<SqliteStmt> a = db.Prepare(
      "INSERT INTO anomalies (run_id, checker, key, description, start_ns, end_ns, ops, detail, "
      "observation) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)");
  if (!a.ok()) return a.status();
  for (const auto& an : check.anomalies) {
    if (!s.ok()) break;
    a->Bind(1, run_id);
    a->Bind(2, an.checker.empty() ? check.checker : an.checker);
    a->Bind(3, an.key);
    a->Bind(4, an.description);
    a->Bind(5, an.start_ns);
    a->Bind(6, an.end_ns);
    a->Bind(7, nlohmann::json(an.ops).dump());
    a->Bind(8, an.detail);
    a->Bind(9, static_cast<int64_t>(an.observation ? 1 : 0));
    s = a->Run();
  }
  return s;
}

Status HistoryStore::SetSchedule(int64_t run_id, const std::string& schedule_json) {
  return WithConnection(
      [&](SqliteDb& db) -> Status { return WriteScheduleRow(db, run_id, schedule_json); });
}

Status HistoryStore::FinishRun(int64_t run_id, const std::string& status,
                               const std::string& verdict, const std::string& summary) {
  if (Status s = Flush(); !s.ok()) return s;
  SetLive(run_id, false);
  int64_t now_ms = UnixNowMs();
  return WithConnection([&](SqliteDb& db) -> Status {
    return WriteFinishRow(db, run_id, status, verdict, summary, now_ms);
  });
}

Status HistoryStore::StoreCheck(int64_t run_id, const CheckRecord& check) {
  if (Status s = Flush(); !s.ok()) return s;
  return WithConnection([&](SqliteDb& db) -> Status {
    if (Status s = db.Exec("BEGIN"); !s.ok()) return s;
    Status s = WriteCheckRows(db, run_id, check);
    Status c = db.Exec(s.ok() ? "COMMIT" : "ROLLBACK");
    return s.ok() ? c : s;
  });
}

std::string NewStoreUid() {
  std::random_device rd;
  std::mt19937_64 rng((static_cast<uint64_t>(rd()) << 32) ^ rd() ^
                      static_cast<uint64_t>(UnixNowMs()) ^ (static_cast<uint64_t>(getpid()) << 16));
  return fmt::format("{:016x}{:016x}", rng(), rng());
}

int64_t UnixNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string UtcTimeText(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string StableHash(const std::string& text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

}  // namespace faultline::harness
