#include "harness/serve/store_queries.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <set>

#include "harness/history/sqlite_db.h"

namespace faultline::harness::serve {
namespace {

const std::set<std::string> kVerdicts = {"valid", "invalid", "unknown"};
const std::set<std::string> kStatuses = {kRunRunning, kRunFinished, kRunInterrupted, kRunError,
                                         kRunCrashed};

std::string Get(const std::map<std::string, std::string>& q, const std::string& name) {
  auto it = q.find(name);
  return it == q.end() ? std::string() : it->second;
}

// WHERE clause over `runs` for the SQL-side filters (system and status are decided per row).
std::string RunsWhere(const RunFilter& f, std::vector<HistoryStore::SqlArg>* args) {
  std::vector<std::string> conds;
  auto arg = [&](const auto& v) {  // a string or an int64_t
    using T = std::decay_t<decltype(v)>;
    args->emplace_back(std::in_place_type<T>, v);
    return fmt::format("?{}", args->size());
  };
  if (!f.suite.empty()) conds.push_back("runs.suite = " + arg(f.suite));
  if (!f.verdict.empty()) conds.push_back("runs.verdict = " + arg(f.verdict));
  if (!f.status.empty()) {
    // crashed is a reader's decision about a running row
    std::string recorded = f.status == kRunCrashed ? kRunRunning : f.status;
    conds.push_back("runs.status = " + arg(recorded));
  }
  if (f.since_ms) conds.push_back("runs.started_ms >= " + arg(*f.since_ms));
  if (f.until_ms) conds.push_back("runs.started_ms <= " + arg(*f.until_ms));
  if (!f.anomaly_kind.empty()) {
    conds.push_back(
        "EXISTS (SELECT 1 FROM anomalies an WHERE an.run_id = runs.id AND "
        "an.checker = " +
        arg(f.anomaly_kind) + ")");
  }
  if (!f.fault_kind.empty()) {
    conds.push_back("EXISTS (SELECT 1 FROM faults fa WHERE fa.run_id = runs.id AND fa.kind = " +
                    arg(f.fault_kind) + ")");
  }
  return conds.empty() ? "" : "WHERE " + fmt::format("{}", fmt::join(conds, " AND ")) + " ";
}

bool Keep(const RunFilter& f, const RunRecord& r) {
  if (!f.system.empty() && r.system != f.system) return false;
  if (!f.status.empty() && r.status != f.status) return false;
  return true;
}

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

Result<int64_t> ParseTimeParam(const std::string& name, const std::string& text, int64_t now_ms) {
  auto bad = [&] {
    return Status::InvalidArgument(fmt::format(
        "{}='{}': expected a UTC date (2026-12-01), date and time (2026-12-01T13:05) or an age "
        "(7d, 12h, 30m)",
        name, text.substr(0, 80)));
  };
  if (text.empty()) return bad();
  char unit = text.back();
  if (unit == 'd' || unit == 'h' || unit == 'm') {
    std::string digits = text.substr(0, text.size() - 1);
    if (digits.empty() || digits.size() > 6 ||
        digits.find_first_not_of("0123456789") != std::string::npos) {
      return bad();
    }
    int64_t n = std::stoll(digits);
    int64_t unit_ms = unit == 'd' ? 86'400'000 : unit == 'h' ? 3'600'000 : 60'000;
    return now_ms - n * unit_ms;
  }
  std::tm tm{};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char tail = 0;
  int n = std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &y, &mo, &d, &tail);
  if (n == 3 && text.size() == 10) {
  } else if (std::sscanf(text.c_str(), "%4d-%2d-%2d%*[T ]%2d:%2d", &y, &mo, &d, &h, &mi) == 5 &&
             (text.size() == 16 ||
              (text.size() == 19 && std::sscanf(text.c_str() + 16, ":%2d", &s) == 1))) {
  } else {
    return bad();
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59 || y < 1970 || y > 9999) {
    return bad();
  }
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

Result<RunFilter> ParseRunFilter(const std::map<std::string, std::string>& query, int64_t now_ms) {
  static const std::set<std::string> kKnown = {"suite", "system",  "verdict", "status", "since",
                                               "until", "anomaly", "fault",   "limit"};
  for (const auto& [name, value] : query) {
    if (!kKnown.count(name)) {
      return Status::InvalidArgument(fmt::format(
          "unknown parameter '{}' (filters: suite, system, verdict, status, since, until, "
          "anomaly, fault, limit)",
          name.substr(0, 60)));
    }
  }
  RunFilter f;
  f.suite = Get(query, "suite");
  f.system = Get(query, "system");
  f.verdict = Get(query, "verdict");
  f.status = Get(query, "status");
  f.anomaly_kind = Get(query, "anomaly");
  f.fault_kind = Get(query, "fault");
  if (!f.verdict.empty() && !kVerdicts.count(f.verdict)) {
    return Status::InvalidArgument(
        fmt::format("verdict='{}': expected valid, invalid or unknown", f.verdict.substr(0, 60)));
  }
  if (!f.status.empty() && !kStatuses.count(f.status)) {
    return Status::InvalidArgument(
        fmt::format("status='{}': expected running, finished, interrupted, error or crashed",
                    f.status.substr(0, 60)));
  }
  for (const char* name : {"since", "until"}) {
    std::string v = Get(query, name);
    if (v.empty()) continue;
    Result<int64_t> ms = ParseTimeParam(name, v, now_ms);
    if (!ms.ok()) return ms.status();
    (std::string(name) == "since" ? f.since_ms : f.until_ms) = *ms;
  }
  if (std::string v = Get(query, "limit"); !v.empty()) {
    if (v.size() > 5 || v.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(v) < 1 || std::stoi(v) > 10000) {
      return Status::InvalidArgument(
          fmt::format("limit='{}': expected a number from 1 to 10000", v.substr(0, 60)));
    }
    f.limit = std::stoi(v);
  }
  return f;
}

Result<std::vector<RunRecord>> FindRuns(HistoryStore& store, const RunFilter& filter) {
  std::vector<HistoryStore::SqlArg> args;
  std::string where = RunsWhere(filter, &args);
  bool post = !filter.system.empty() || !filter.status.empty();
  std::string tail = where + "ORDER BY runs.id DESC";
  if (!post) {
    args.emplace_back(std::in_place_type<int64_t>, filter.limit);
    tail += fmt::format(" LIMIT ?{}", args.size());
  }
  Result<std::vector<RunRecord>> runs = store.QueryRuns(tail, args);
  if (!runs.ok()) return runs.status();
  std::vector<RunRecord> out;
  for (auto& r : *runs) {
    if (static_cast<int>(out.size()) >= filter.limit) break;
    if (Keep(filter, r)) out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<AnomalyRow>> FindAnomalies(HistoryStore& store, const RunFilter& filter) {
  RunFilter run_filter = filter;
  run_filter.fault_kind.clear();  // here: the faults active at the anomaly, decided below
  run_filter.limit = 100000;
  Result<std::vector<RunRecord>> runs = FindRuns(store, run_filter);
  if (!runs.ok()) return runs.status();
  std::vector<AnomalyRow> out;
  for (const RunRecord& r : *runs) {
    if (r.anomaly_count == 0) continue;
    Result<std::vector<CheckRecord>> checks = store.LoadChecks(r.id);
    if (!checks.ok()) return checks.status();
    Result<std::vector<FaultRecord>> faults = store.LoadFaults(r.id);
    if (!faults.ok()) return faults.status();
    // Numbered like the report numbers them: violations in time order (html_page.cc Number).
    std::vector<const checkers::Anomaly*> violations;
    for (const CheckRecord& c : *checks) {
      for (const checkers::Anomaly& a : c.anomalies) {
        if (!a.observation) violations.push_back(&a);
      }
    }
    std::stable_sort(violations.begin(), violations.end(),
                     [](const auto* a, const auto* b) { return a->start_ns < b->start_ns; });
    for (size_t n = 0; n < violations.size(); ++n) {
      const checkers::Anomaly& a = *violations[n];
      if (!filter.anomaly_kind.empty() && a.checker != filter.anomaly_kind) continue;
      AnomalyRow row{r.id,
                     r.suite,
                     r.system,
                     a.checker,
                     a.key,
                     a.description,
                     r.started_ms,
                     a.start_ns,
                     a.end_ns,
                     {},
                     fmt::format("anomaly-{}", n + 1)};
      std::set<std::string> kinds;
      for (const FaultRecord& fr : *faults) {
        int64_t stop = fr.stop_ns.value_or(INT64_MAX);
        if (fr.start_ns <= a.end_ns && stop >= a.start_ns) kinds.insert(fr.kind);
      }
      row.active_faults.assign(kinds.begin(), kinds.end());
      if (!filter.fault_kind.empty() && !kinds.count(filter.fault_kind)) continue;
      out.push_back(std::move(row));
      if (static_cast<int>(out.size()) >= filter.limit) return out;
    }
  }
  return out;
}

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
