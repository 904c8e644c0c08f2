// The history store's schema, in one place: the tables a new store is created with, the columns
// added since the first schema (an older store gets them on its next read-write open: ALTER TABLE
// ADD COLUMN keeps every row), and PRAGMA user_version. Documented for sqlite3 users in
// docs/store-schema.md; keep the two in step.
//
// Schema versions: 1 the first; 2 liveness + runs.system; 3 anomalies.observation; 4 runs.uid,
// run_metrics, suite_runs, suite_cases (suites, merging shards, trends).
#pragma once

#include <set>
#include <string>

#include "common/status.h"

namespace faultline::harness {

class SqliteDb;

inline constexpr int kStoreSchemaVersion = 4;

// Creates every table and index that is missing, adds every missing column, sets user_version.
// For writers only.
Status CreateOrUpgradeSchema(SqliteDb& db);

// Column names of `table` ("" set when the table does not exist). `schema` is "main" or the name
// of an ATTACHed database.
Result<std::set<std::string>> TableColumns(SqliteDb& db, const std::string& table,
                                           const std::string& schema = "main");

}  // namespace faultline::harness
