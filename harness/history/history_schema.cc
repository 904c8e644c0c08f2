#include "harness/history/history_schema.h"

#include <fmt/format.h>

#include "harness/history/sqlite_db.h"

namespace faultline::harness {
namespace {

// Every table. Columns added later are in kAddedColumns (which a new store also goes through).
constexpr const char* kTables = R"sql(
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  suite TEXT NOT NULL,
  spec TEXT NOT NULL,
  seed INTEGER NOT NULL,
  git_revision TEXT NOT NULL,
  folder TEXT NOT NULL DEFAULT '',
  started_ms INTEGER NOT NULL,
  ended_ms INTEGER,
  status TEXT NOT NULL,
  verdict TEXT NOT NULL DEFAULT '',
  schedule TEXT NOT NULL DEFAULT '[]',
  replay_of INTEGER,
  summary TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS ops (
  run_id INTEGER NOT NULL,
  op_index INTEGER NOT NULL,
  process INTEGER NOT NULL,
  f TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT,
  expected TEXT,
  elements TEXT,
  node INTEGER,
  invoke_ns INTEGER NOT NULL,
  complete_ns INTEGER,
  outcome TEXT,
  zxid INTEGER,
  error TEXT,
  PRIMARY KEY (run_id, op_index)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS faults (
  run_id INTEGER NOT NULL,
  fault_index INTEGER NOT NULL,
  kind TEXT NOT NULL,
  targets TEXT NOT NULL,
  start_ns INTEGER NOT NULL,
  stop_ns INTEGER,
  description TEXT NOT NULL,
  detail TEXT NOT NULL,
  PRIMARY KEY (run_id, fault_index)
);
CREATE TABLE IF NOT EXISTS node_events (
  run_id INTEGER NOT NULL,
  node INTEGER NOT NULL,
  ts_ms INTEGER NOT NULL,
  type TEXT NOT NULL,
  json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS node_events_run ON node_events (run_id, node, ts_ms);
CREATE TABLE IF NOT EXISTS verdicts (
  run_id INTEGER NOT NULL,
  checker TEXT NOT NULL,
  verdict TEXT NOT NULL,
  reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS anomalies (
  run_id INTEGER NOT NULL,
  checker TEXT NOT NULL,
  key TEXT NOT NULL,
  description TEXT NOT NULL,
  start_ns INTEGER NOT NULL,
  end_ns INTEGER NOT NULL,
  ops TEXT NOT NULL,
  detail TEXT NOT NULL,
  observation INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS anomalies_run ON anomalies (run_id);
CREATE TABLE IF NOT EXISTS run_metrics (
  run_id INTEGER PRIMARY KEY,
  version INTEGER NOT NULL,
  ops INTEGER NOT NULL,
  ok INTEGER NOT NULL,
  workload_ms INTEGER NOT NULL,
  ok_per_s REAL NOT NULL,
  p50_ms REAL,
  p99_ms REAL,
  max_ms REAL,
  failover_ms REAL,
  failover_open INTEGER NOT NULL DEFAULT 0,
  failover_fault INTEGER,
  failover_basis TEXT NOT NULL DEFAULT '',
  computed_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS suite_runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  uid TEXT NOT NULL,
  name TEXT NOT NULL,
  file TEXT NOT NULL,
  label TEXT NOT NULL DEFAULT '',
  shard TEXT NOT NULL DEFAULT '',
  cases INTEGER NOT NULL,
  started_ms INTEGER NOT NULL,
  ended_ms INTEGER,
  exit_code INTEGER,
  host TEXT NOT NULL DEFAULT '',
  git_revision TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX IF NOT EXISTS suite_runs_uid ON suite_runs (uid);
CREATE TABLE IF NOT EXISTS suite_cases (
  suite_run_id INTEGER NOT NULL,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  file TEXT NOT NULL,
  seed INTEGER NOT NULL DEFAULT 0,
  run_id INTEGER,
  outcome TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (suite_run_id, position)
);
CREATE INDEX IF NOT EXISTS suite_cases_run ON suite_cases (run_id);
)sql";

// Columns added after the first schema. Readers of a read-only store of an older schema read
// NULL / '' in their place (HistoryStore::HasLivenessColumns and friends).
struct AddedColumn {
  const char* table;
  const char* name;
  const char* ddl;
};
constexpr AddedColumn kAddedColumns[] = {
    {"runs", "system", "system TEXT NOT NULL DEFAULT ''"},
    {"runs", "controller_pid", "controller_pid INTEGER"},
    {"runs", "controller_host", "controller_host TEXT NOT NULL DEFAULT ''"},
    {"runs", "heartbeat_ms", "heartbeat_ms INTEGER"},
    {"anomalies", "observation", "observation INTEGER NOT NULL DEFAULT 0"},
    // A run's identity across stores (random, made by CreateRun): `faultline merge` skips a run
    // whose uid the target already holds. '' in rows from before: merge derives one.
    {"runs", "uid", "uid TEXT NOT NULL DEFAULT ''"},
};

// Indexes on added columns: created after the columns exist.
constexpr const char* kLateIndexes = "CREATE INDEX IF NOT EXISTS runs_uid ON runs (uid);";

}  // namespace

Result<std::set<std::string>> TableColumns(SqliteDb& db, const std::string& table,
                                           const std::string& schema) {
  Result<SqliteStmt> st = db.Prepare("SELECT name FROM pragma_table_info(?1, ?2)");
  if (!st.ok()) return st.status();
  st->Bind(1, table);
  st->Bind(2, schema);
  std::set<std::string> out;
  for (;;) {
    Result<bool> row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.insert(st->Text(0));
  }
  return out;
}

Status CreateOrUpgradeSchema(SqliteDb& db) {
  if (Status s = db.Exec(kTables); !s.ok()) return s;
  for (const AddedColumn& c : kAddedColumns) {
    Result<std::set<std::string>> cols = TableColumns(db, c.table);
    if (!cols.ok()) return cols.status();
    if (cols->count(c.name)) continue;
    if (Status s = db.Exec(fmt::format("ALTER TABLE {} ADD COLUMN {}", c.table, c.ddl)); !s.ok()) {
      return s;
    }
  }
  if (Status s = db.Exec(kLateIndexes); !s.ok()) return s;
  return db.Exec(fmt::format("PRAGMA user_version={}", kStoreSchemaVersion));
}

}  // namespace faultline::harness
