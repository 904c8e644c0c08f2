#include "harness/serve/store_queries.h"

#include <set>

#include "harness/history/sqlite_db.h"

namespace faultline::harness::serve {
namespace {

Result<std::vector<std::string>> Distinct(HistoryStore& store, const std::string& sql) {
  return store.WithConnection([&](SqliteDb& db) -> Result<std::vector<std::string>> {
    Result<SqliteStmt> st = db.Prepare(sql);
    if (!st.ok()) return st.status();
    std::vector<std::string> out;
    for (;;) {
      Result<bool> row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      out.push_back(st->Text(0));
    }
    return out;
  });
}

}  // namespace

Result<FilterChoices> LoadFilterChoices(HistoryStore& store) {
  FilterChoices c;
  auto suites = Distinct(store, "SELECT DISTINCT suite FROM runs ORDER BY suite LIMIT 500");
  auto kinds = Distinct(store, "SELECT DISTINCT checker FROM anomalies ORDER BY checker LIMIT 100");
  auto faults = Distinct(store, "SELECT DISTINCT kind FROM faults ORDER BY kind LIMIT 100");
  if (!suites.ok()) return suites.status();
  if (!kinds.ok()) return kinds.status();
  if (!faults.ok()) return faults.status();
  c.suites = std::move(suites).value();
  c.anomaly_kinds = std::move(kinds).value();
  c.fault_kinds = std::move(faults).value();
  Result<std::vector<RunRecord>> recent = store.ListRuns(500);
  if (!recent.ok()) return recent.status();
  std::set<std::string> systems;
  for (const auto& r : *recent) systems.insert(r.system);
  c.systems.assign(systems.begin(), systems.end());
  return c;
}

}  // namespace faultline::harness::serve
