// FindRuns and its filter: SQL over `runs` for what the row says, then the effective status
// (liveness) and the system of rows from before runs.system, decided per row.
#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <set>

#include "harness/history/history_schema.h"
#include "harness/history/sqlite_db.h"
#include "harness/query/query.h"
#include "harness/query/query_internal.h"

namespace faultline::harness::query {
namespace {

const std::set<std::string>& Verdicts() {
  static const std::set<std::string> v = {"valid", "invalid", "unknown", "none"};
  return v;
}

const std::set<std::string>& Statuses() {
  static const std::set<std::string> s = {kRunRunning, kRunFinished, kRunInterrupted, kRunError,
                                          kRunCrashed};
  return s;
}

std::string Joined(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

bool AllDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

Status ValidateRunFilter(const RunFilter& f) {
  if (!f.verdict.empty() && !Verdicts().count(f.verdict)) {
    return Status::InvalidArgument(
        fmt::format("verdict '{}' is not one of {}", f.verdict, Joined(Verdicts())));
  }
  if (!f.status.empty() && !Statuses().count(f.status)) {
    return Status::InvalidArgument(
        fmt::format("status '{}' is not one of {}", f.status, Joined(Statuses())));
  }
  if (f.since_ms && f.until_ms && *f.since_ms >= *f.until_ms) {
    return Status::InvalidArgument("since must be before until");
  }
  if (f.limit < 0) return Status::InvalidArgument(fmt::format("limit {} is negative", f.limit));
  return Status::Ok();
}

Result<int64_t> ParseTimeBound(const std::string& text, int64_t now_ms, const std::string& what) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument(fmt::format(
        "{} '{}': {} (give now, an age like 12h / 7d / 2w, or a UTC date 2026-12-01 or time "
        "2026-12-01T06:00)",
        what, text, why));
  };
  if (text == "now") return now_ms;
  if (text.size() >= 2 && AllDigits(text.substr(0, text.size() - 1))) {
    static const std::map<char, int64_t> kUnitMs = {
        {'s', 1000}, {'m', 60'000}, {'h', 3'600'000}, {'d', 86'400'000}, {'w', 604'800'000}};
    auto unit = kUnitMs.find(text.back());
    if (unit == kUnitMs.end()) return bad("unknown unit");
    std::string digits = text.substr(0, text.size() - 1);
    if (digits.size() > 9) return bad("too far back");
    return now_ms - std::stoll(digits) * unit->second;
  }
  std::string t = text;
  if (!t.empty() && (t.back() == 'Z' || t.back() == 'z')) t.pop_back();
  std::tm tm{};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char sep = 0;
  int n = 0;
  int fields = std::sscanf(t.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &n);
  if (fields != 3) return bad("not a time");
  if (static_cast<size_t>(n) != t.size()) {
    int n2 = 0;
    int more = std::sscanf(t.c_str() + n, "%c%2d:%2d%n", &sep, &h, &mi, &n2);
    if (more != 3 || (sep != 'T' && sep != ' ')) return bad("not a time");
    size_t used = static_cast<size_t>(n + n2);
    if (used != t.size()) {
      int n3 = 0;
      if (std::sscanf(t.c_str() + used, ":%2d%n", &s, &n3) != 1 || used + n3 != t.size()) {
        return bad("not a time");
      }
    }
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 || y < 1970) {
    return bad("out of range");
  }
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  time_t secs = timegm(&tm);
  if (secs < 0) return bad("out of range");
  std::tm back{};
  gmtime_r(&secs, &back);
  if (back.tm_mday != d) return bad("no such day");
  return static_cast<int64_t>(secs) * 1000;
}

Result<RunFilter> RunFilterFromParams(const std::map<std::string, std::string>& params,
                                      int64_t now_ms) {
  RunFilter f;
  for (const auto& [name, value] : params) {
    static const std::set<std::string> kKnown = {"suite", "system",  "verdict", "status", "since",
                                                 "until", "anomaly", "fault",   "limit"};
    if (kKnown.count(name) && value.empty()) continue;  // a form's empty field: no filter
    if (name == "suite") {
      f.suite = value;
    } else if (name == "system") {
      f.system = value;
    } else if (name == "verdict") {
      f.verdict = value;
    } else if (name == "status") {
      f.status = value;
    } else if (name == "anomaly") {
      f.anomaly_kind = value;
    } else if (name == "fault") {
      f.fault_kind = value;
    } else if (name == "since" || name == "until") {
      Result<int64_t> t = ParseTimeBound(value, now_ms, name);
      if (!t.ok()) return t.status();
      (name == "since" ? f.since_ms : f.until_ms) = *t;
    } else if (name == "limit") {
      if (!AllDigits(value) || value.size() > 9) {
        return Status::InvalidArgument(fmt::format("limit '{}' is not a count", value));
      }
      f.limit = std::stoi(value);
    } else {
      return Status::InvalidArgument(fmt::format(
          "unknown filter '{}' (known: suite, system, verdict, status, since, until, anomaly, "
          "fault, limit)",
          name));
    }
  }
  if (Status s = ValidateRunFilter(f); !s.ok()) return s;
  return f;
}

Result<StoreColumns> ReadStoreColumns(HistoryStore& store) {
  return store.WithConnection([](SqliteDb& db) -> Result<StoreColumns> {
    StoreColumns c;
    Result<std::set<std::string>> runs = TableColumns(db, "runs");
    if (!runs.ok()) return runs.status();
    Result<std::set<std::string>> anomalies = TableColumns(db, "anomalies");
    if (!anomalies.ok()) return anomalies.status();
    c.runs_system = runs->count("system") > 0;
    c.anomalies_observation = anomalies->count("observation") > 0;
    return c;
  });
}

Result<RunSql> RunWhere(const RunFilter& f, const StoreColumns& cols) {
  if (Status s = ValidateRunFilter(f); !s.ok()) return s;
  RunSql q;
  std::vector<std::string> terms;
  auto arg = [&](const auto& v) {  // (a generic lambda: GCC 12 warns on a variant parameter)
    q.args.emplace_back(v);
    return fmt::format("?{}", q.args.size());
  };
  if (!f.suite.empty()) terms.push_back("suite = " + arg(f.suite));
  if (!f.system.empty()) {
    // Rows from before runs.system say '': their system comes from the spec (decided per row).
    if (cols.runs_system)
      terms.push_back(fmt::format("(system = {} OR system = '')", arg(f.system)));
    q.post_filter = true;
  }
  if (!f.verdict.empty()) {
    terms.push_back("verdict = " + arg(f.verdict == "none" ? std::string() : f.verdict));
  }
  if (f.status == kRunCrashed) {
    terms.push_back(fmt::format("status IN ({}, {})", arg(std::string(kRunRunning)),
                                arg(std::string(kRunCrashed))));
    q.post_filter = true;
  } else if (f.status == kRunRunning) {
    terms.push_back("status = " + arg(f.status));
    q.post_filter = true;
  } else if (!f.status.empty()) {
    terms.push_back("status = " + arg(f.status));
  }
  if (f.since_ms) terms.push_back("started_ms >= " + arg(*f.since_ms));
  if (f.until_ms) terms.push_back("started_ms < " + arg(*f.until_ms));
  if (!f.anomaly_kind.empty()) {
    terms.push_back(fmt::format(
        "EXISTS (SELECT 1 FROM anomalies a WHERE a.run_id = runs.id AND a.checker = {}{})",
        arg(f.anomaly_kind), cols.anomalies_observation ? " AND a.observation = 0" : ""));
  }
  if (!f.fault_kind.empty()) {
    terms.push_back(
        fmt::format("EXISTS (SELECT 1 FROM faults f WHERE f.run_id = runs.id AND f.kind = {})",
                    arg(f.fault_kind)));
  }
  for (size_t i = 0; i < terms.size(); ++i) q.where += (i == 0 ? "WHERE " : " AND ") + terms[i];
  return q;
}

bool KeepRun(const RunFilter& f, const RunRecord& r) {
  if (!f.system.empty() && r.system != f.system) return false;
  if (!f.status.empty() && r.status != f.status) return false;
  return true;
}

Result<std::vector<RunRecord>> FindRuns(HistoryStore& store, const RunFilter& filter) {
  Result<StoreColumns> cols = ReadStoreColumns(store);
  if (!cols.ok()) return cols.status();
  Result<RunSql> q = RunWhere(filter, *cols);
  if (!q.ok()) return q.status();
  std::string tail = q->where + " ORDER BY id DESC";
  if (filter.limit > 0 && !q->post_filter) tail += fmt::format(" LIMIT {}", filter.limit);
  Result<std::vector<RunRecord>> runs = store.QueryRuns(tail, q->args);
  if (!runs.ok()) return runs.status();
  std::vector<RunRecord> out;
  for (RunRecord& r : *runs) {
    if (!KeepRun(filter, r)) continue;
    out.push_back(std::move(r));
    if (filter.limit > 0 && out.size() >= static_cast<size_t>(filter.limit)) break;
  }
  return out;
}

}  // namespace faultline::harness::query
