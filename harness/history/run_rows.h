// The statements that write a run's end (its check rows, schedule and finish), shared by the
// synchronous calls (history_store_runs.cc: StoreCheck, SetSchedule, FinishRun) and the writer
// thread (history_store.cc: RecordRunEnd), so both write the same rows. Internal to the library.
//
// Each runs on a connection the caller holds (under HistoryStore's connection mutex) and inside
// whatever transaction the caller opened.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "harness/history/history_store.h"

namespace faultline::harness {

class SqliteDb;

// One verdict row and its anomaly rows.
Status WriteCheckRows(SqliteDb& db, int64_t run_id, const CheckRecord& check);
Status WriteScheduleRow(SqliteDb& db, int64_t run_id, const std::string& schedule_json);
// status, verdict, ended_ms (also the last heartbeat), summary.
Status WriteFinishRow(SqliteDb& db, int64_t run_id, const std::string& status,
                      const std::string& verdict, const std::string& summary, int64_t ended_ms);

}  // namespace faultline::harness
