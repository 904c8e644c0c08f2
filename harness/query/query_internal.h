// Shared by the files of harness/query (not for callers): the columns an older read-only store
// may lack, and the SQL a RunFilter becomes.
#pragma once

#include <string>
#include <vector>

#include "harness/query/query.h"

namespace faultline::harness::query {

struct StoreColumns {
  bool runs_system = false;            // runs.system (schema 2)
  bool anomalies_observation = false;  // anomalies.observation (schema 3)
};
Result<StoreColumns> ReadStoreColumns(HistoryStore& store);

// "WHERE ..." over `runs` (may be empty) with its arguments. post_filter: some runs the SQL keeps
// may still fail the filter (effective status, system of old rows): check KeepRun, and apply a
// limit only after it.
struct RunSql {
  std::string where;
  std::vector<HistoryStore::SqlArg> args;
  bool post_filter = false;
};
Result<RunSql> RunWhere(const RunFilter& filter, const StoreColumns& columns);
bool KeepRun(const RunFilter& filter, const RunRecord& run);

}  // namespace faultline::harness::query
