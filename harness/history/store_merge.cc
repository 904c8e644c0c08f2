#include "harness/history/store_merge.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <set>
#include <variant>

#include "harness/history/history_schema.h"
#include "harness/history/history_store.h"
#include "harness/history/sqlite_db.h"
#include "harness/history/store_util.h"

namespace faultline::harness {
namespace {

namespace fs = std::filesystem;

// Child tables of a run, in copy order, with the order their rows keep (readers order by rowid).
struct ChildTable {
  const char* name;
  const char* order;
};
constexpr ChildTable kChildren[] = {
    {"ops", "op_index"},   {"faults", "fault_index"}, {"node_events", "rowid"},
    {"verdicts", "rowid"}, {"anomalies", "rowid"},    {"run_metrics", "run_id"},
};

// `s` with `context` before its message, its code kept.
Status InContext(const Status& s, const std::string& context) {
  switch (s.code()) {
    case StatusCode::kNotFound:
      return Status::NotFound(context + s.message());
    case StatusCode::kInvalidArgument:
      return Status::InvalidArgument(context + s.message());
    default:
      return Status::IoError(context + s.message());
  }
}

using Arg = std::variant<std::nullopt_t, int64_t, std::string>;

std::string Join(const std::vector<std::string>& cols) {
  std::string out;
  for (const auto& c : cols) out += (out.empty() ? "" : ", ") + c;
  return out;
}

Result<SqliteStmt> Bound(SqliteDb& db, const std::string& sql, const std::vector<Arg>& args) {
  Result<SqliteStmt> st = db.Prepare(sql);
  if (!st.ok()) return st.status();
  for (size_t i = 0; i < args.size(); ++i) {
    int n = static_cast<int>(i) + 1;
    if (std::holds_alternative<std::nullopt_t>(args[i])) {
      st->BindNull(n);
    } else if (const int64_t* v = std::get_if<int64_t>(&args[i])) {
      st->Bind(n, *v);
    } else {
      st->Bind(n, std::get<std::string>(args[i]));
    }
  }
  return st;
}

Status Run(SqliteDb& db, const std::string& sql, const std::vector<Arg>& args) {
  Result<SqliteStmt> st = Bound(db, sql, args);
  if (!st.ok()) return st.status();
  return st->Run();
}

Result<int64_t> Changes(SqliteDb& db) {
  Result<SqliteStmt> st = db.Prepare("SELECT changes()");
  if (!st.ok()) return st.status();
  Result<bool> row = st->Step();
  if (!row.ok()) return row.status();
  return *row ? st->Int(0) : 0;
}

Result<std::optional<int64_t>> FindByUid(SqliteDb& db, const std::string& table,
                                         const std::string& uid) {
  Result<SqliteStmt> st =
      Bound(db, fmt::format("SELECT id FROM main.{} WHERE uid = ?1", table), {uid});
  if (!st.ok()) return st.status();
  Result<bool> row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<int64_t>();
  return std::optional<int64_t>(st->Int(0));
}

// Columns both databases have, minus `except`.
Result<std::vector<std::string>> SharedColumns(SqliteDb& db, const std::string& table,
                                               const std::set<std::string>& except) {
  Result<std::set<std::string>> mine = TableColumns(db, table, "main");
  if (!mine.ok()) return mine.status();
  Result<std::set<std::string>> theirs = TableColumns(db, table, "src");
  if (!theirs.ok()) return theirs.status();
  std::vector<std::string> out;
  for (const auto& c : *theirs) {
    if (mine->count(c) && !except.count(c)) out.push_back(c);
  }
  return out;
}

// Detaches the source however the merge ends.
class Attached {
 public:
  explicit Attached(SqliteDb* db) : db_(db) {}
  ~Attached() {
    if (db_) (void)db_->Exec("DETACH DATABASE src");
  }

 private:
  SqliteDb* db_;
};

struct SourceRun {
  int64_t id = 0;
  std::string uid;
  std::string folder;
  std::optional<int64_t> replay_of;
};

struct Merger {
  SqliteDb& db;
  const MergeOptions& o;
  fs::path source_results;  // where the source's runs/<id> and suites/<id> folders are
  MergeResult result;
  std::optional<fs::path> copied;  // the folder CopyRun copied (removed if the run is not kept)

  Result<std::vector<SourceRun>> SourceRuns() {
    Result<std::set<std::string>> cols = TableColumns(db, "runs", "src");
    if (!cols.ok()) return cols.status();
    auto has = [&](const char* c) { return cols->count(c) > 0; };
    // The derived uid of rows from before runs.uid: their content, which no other run shares.
    std::string derived = fmt::format(
        "started_ms || '|' || suite || '|' || seed || '|' || spec || '|' || {} || '|' || {}",
        has("controller_pid") ? "COALESCE(controller_pid, '')" : "''",
        has("controller_host") ? "controller_host" : "''");
    Result<SqliteStmt> st =
        db.Prepare(fmt::format("SELECT id, {}, {}, folder, replay_of FROM src.runs ORDER BY id",
                               has("uid") ? "uid" : "''", derived));
    if (!st.ok()) return st.status();
    std::vector<SourceRun> out;
    for (;;) {
      Result<bool> row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      SourceRun r;
      r.id = st->Int(0);
      r.uid = st->Text(1);
      if (r.uid.empty()) r.uid = "derived-" + StableHash(st->Text(2));
      r.folder = st->Text(3);
      r.replay_of = st->OptInt(4);
      out.push_back(std::move(r));
    }
    return out;
  }

  // The source folder of a run (see the header), or none. A folder inside the target's own
  // runs/ is never taken for a source run (a source store kept in the target's results folder).
  std::optional<fs::path> FindFolder(const SourceRun& r) {
    std::error_code ec;
    const fs::path target_runs = fs::weakly_canonical(fs::path(o.results_dir) / "runs", ec);
    std::vector<fs::path> candidates = {source_results / "runs" / std::to_string(r.id)};
    if (!r.folder.empty()) candidates.emplace_back(r.folder);
    for (const fs::path& p : candidates) {
      if (!fs::is_directory(p, ec)) continue;
      fs::path canon = fs::weakly_canonical(p, ec);
      auto [a, b] =
          std::mismatch(target_runs.begin(), target_runs.end(), canon.begin(), canon.end());
      if (a == target_runs.end()) continue;
      return p;
    }
    return std::nullopt;
  }

  Status CopyRun(const SourceRun& r) {
    Result<std::vector<std::string>> cols =
        SharedColumns(db, "runs", {"id", "uid", "folder", "replay_of"});
    if (!cols.ok()) return cols.status();
    std::string c = Join(*cols);
    if (Status s = Run(db,
                       fmt::format("INSERT INTO main.runs ({}) SELECT {} FROM src.runs WHERE "
                                   "id = ?1",
                                   c, c),
                       {r.id});
        !s.ok()) {
      return s;
    }
    const int64_t id = db.LastInsertId();
    std::optional<int64_t> replay_of = r.replay_of;
    if (replay_of) {
      auto it = result.run_ids.find(*replay_of);
      if (it != result.run_ids.end()) replay_of = it->second;
    }
    for (const ChildTable& t : kChildren) {
      Result<std::set<std::string>> theirs = TableColumns(db, t.name, "src");
      if (!theirs.ok()) return theirs.status();
      if (theirs->empty()) continue;  // an older source without the table
      Result<std::vector<std::string>> child = SharedColumns(db, t.name, {"run_id"});
      if (!child.ok()) return child.status();
      std::string cc = Join(*child);
      if (Status s = Run(db,
                         fmt::format("INSERT INTO main.{0} (run_id, {1}) SELECT ?1, {1} FROM "
                                     "src.{0} WHERE run_id = ?2 ORDER BY {2}",
                                     t.name, cc, t.order),
                         {id, r.id});
          !s.ok()) {
        return s;
      }
      Result<int64_t> n = Changes(db);
      if (!n.ok()) return n.status();
      result.rows[t.name] += *n;
    }
    std::string folder;
    std::optional<fs::path> from = FindFolder(r);
    if (from) {
      fs::path to = fs::path(o.results_dir) / "runs" / std::to_string(id);
      std::error_code ec;
      if (fs::exists(to, ec)) {
        return Status::InvalidArgument(fmt::format(
            "{} already exists: the target's results folder does not belong to {} (give the "
            "--results the target store was recorded with)",
            to.string(), o.target_store));
      }
      fs::create_directories(to.parent_path(), ec);
      fs::copy(*from, to, fs::copy_options::recursive, ec);
      if (ec) {
        std::error_code ignored;
        fs::remove_all(to, ignored);
        return Status::IoError(
            fmt::format("cannot copy {} to {}: {}", from->string(), to.string(), ec.message()));
      }
      copied = to;
      folder = to.string();
      ++result.folders_copied;
    } else {
      ++result.folders_missing;
      result.warnings.push_back(
          fmt::format("run {} (now {}): its folder {} was not found (nor {}); merged without it",
                      r.id, id, r.folder.empty() ? "''" : r.folder,
                      (source_results / "runs" / std::to_string(r.id)).string()));
    }
    if (Status s =
            Run(db, "UPDATE main.runs SET uid = ?2, folder = ?3, replay_of = ?4 WHERE id = ?1",
                {id, r.uid, folder, replay_of ? Arg(*replay_of) : Arg(std::nullopt)});
        !s.ok()) {
      return s;
    }
    result.run_ids[r.id] = id;
    ++result.runs_merged;
    return Status::Ok();
  }

  Status MergeRuns() {
    Result<std::vector<SourceRun>> runs = SourceRuns();
    if (!runs.ok()) return runs.status();
    for (const SourceRun& r : *runs) {
      Result<std::optional<int64_t>> present = FindByUid(db, "runs", r.uid);
      if (!present.ok()) return present.status();
      if (*present) {
        result.run_ids[r.id] = **present;
        ++result.runs_already_present;
        continue;
      }
      if (Status s = db.Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
      copied.reset();
      Status s = CopyRun(r);
      if (s.ok()) s = db.Exec("COMMIT");
      if (!s.ok()) {
        (void)db.Exec("ROLLBACK");
        if (copied) {  // the folder copied for a run that is not kept
          std::error_code ec;
          fs::remove_all(*copied, ec);
        }
        return InContext(s, fmt::format("run {} of {}: ", r.id, result.source));
      }
    }
    return Status::Ok();
  }

  Status MergeSuites() {
    Result<std::set<std::string>> cols = TableColumns(db, "suite_runs", "src");
    if (!cols.ok()) return cols.status();
    if (cols->empty()) return Status::Ok();  // a source from before suites
    Result<SqliteStmt> st = db.Prepare("SELECT id, uid FROM src.suite_runs ORDER BY id");
    if (!st.ok()) return st.status();
    std::vector<std::pair<int64_t, std::string>> suites;
    for (;;) {
      Result<bool> row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      suites.emplace_back(st->Int(0), st->Text(1));
    }
    Result<std::vector<std::string>> suite_cols = SharedColumns(db, "suite_runs", {"id"});
    if (!suite_cols.ok()) return suite_cols.status();
    Result<std::vector<std::string>> case_cols =
        SharedColumns(db, "suite_cases", {"suite_run_id", "position", "run_id"});
    if (!case_cols.ok()) return case_cols.status();
    const std::string sc = Join(*suite_cols), cc = Join(*case_cols);
    for (const auto& [old_id, uid] : suites) {
      Result<std::optional<int64_t>> present = FindByUid(db, "suite_runs", uid);
      if (!present.ok()) return present.status();
      if (Status s = db.Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
      int64_t id = 0;
      Status s;
      if (*present) {
        id = **present;
        ++result.suite_runs_already_present;
      } else {
        s = Run(db,
                fmt::format("INSERT INTO main.suite_runs ({0}) SELECT {0} FROM src.suite_runs "
                            "WHERE id = ?1",
                            sc),
                {old_id});
        id = db.LastInsertId();
        if (s.ok()) ++result.suite_runs_merged;
      }
      // Cases, their runs mapped (a case whose run is not in the map keeps none).
      std::vector<std::pair<int64_t, std::optional<int64_t>>> cases;
      if (s.ok()) {
        Result<SqliteStmt> cs = Bound(
            db, "SELECT position, run_id FROM src.suite_cases WHERE suite_run_id = ?1", {old_id});
        if (!cs.ok()) return cs.status();
        for (;;) {
          Result<bool> row = cs->Step();
          if (!row.ok()) return row.status();
          if (!*row) break;
          cases.emplace_back(cs->Int(0), cs->OptInt(1));
        }
      }
      for (const auto& [position, run] : cases) {
        if (!s.ok()) break;
        Arg mapped = std::nullopt;
        if (run) {
          if (auto it = result.run_ids.find(*run); it != result.run_ids.end()) mapped = it->second;
        }
        s = Run(db,
                fmt::format("INSERT OR IGNORE INTO main.suite_cases (suite_run_id, position, "
                            "run_id, {0}) SELECT ?1, position, ?2, {0} FROM src.suite_cases "
                            "WHERE suite_run_id = ?3 AND position = ?4",
                            cc),
                {id, mapped, old_id, position});
        if (s.ok()) {
          Result<int64_t> n = Changes(db);
          if (n.ok()) result.rows["suite_cases"] += *n;
        }
      }
      if (!s.ok()) {
        (void)db.Exec("ROLLBACK");
        return InContext(s, fmt::format("suite run {} of {}: ", old_id, result.source));
      }
      if (Status c = db.Exec("COMMIT"); !c.ok()) return c;
      result.suite_run_ids[old_id] = id;
      if (!*present) {  // its folder (logs, summary, junit), when it is beside the source
        std::error_code ec;
        fs::path from = source_results / "suites" / std::to_string(old_id);
        fs::path to = fs::path(o.results_dir) / "suites" / std::to_string(id);
        if (fs::is_directory(from, ec) && !fs::exists(to, ec)) {
          fs::create_directories(to.parent_path(), ec);
          fs::copy(from, to, fs::copy_options::recursive, ec);
          if (ec) {
            result.warnings.push_back(fmt::format("suite run {}: cannot copy {} to {}: {}", old_id,
                                                  from.string(), to.string(), ec.message()));
          }
        }
      }
    }
    return Status::Ok();
  }
};

}  // namespace

Result<MergeResult> MergeStore(const std::string& source, const MergeOptions& o) {
  std::error_code ec;
  fs::path store_path = source;
  fs::path source_results = fs::path(source).parent_path();
  if (fs::is_directory(source, ec)) {  // a results folder: its faultline.db and runs/
    store_path = fs::path(source) / "faultline.db";
    source_results = source;
  }
  if (source_results.empty()) source_results = ".";
  if (!fs::is_regular_file(store_path, ec)) {
    return Status::NotFound(fmt::format("no history store at {}", store_path.string()));
  }
  if (fs::exists(o.target_store, ec) && fs::equivalent(store_path, o.target_store, ec)) {
    return Status::InvalidArgument(
        fmt::format("{} is the target store itself", store_path.string()));
  }
  {  // A faultline store? (read-only: the source is never written)
    Result<std::unique_ptr<SqliteDb>> src = SqliteDb::OpenReadOnly(store_path.string());
    if (!src.ok()) return src.status();
    Result<std::set<std::string>> cols = TableColumns(**src, "runs");
    if (!cols.ok() || cols->empty()) {
      return Status::InvalidArgument(
          fmt::format("{} is not a faultline history store (no runs table)", store_path.string()));
    }
  }
  fs::path target_parent = fs::path(o.target_store).parent_path();
  if (!target_parent.empty()) fs::create_directories(target_parent, ec);
  Result<std::unique_ptr<SqliteDb>> db = SqliteDb::Open(o.target_store);
  if (!db.ok()) return db.status();
  if (Status s = (*db)->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"); !s.ok()) {
    return s;
  }
  if (Status s = CreateOrUpgradeSchema(**db); !s.ok()) return s;
  if (Status s = Run(**db, "ATTACH DATABASE ?1 AS src", {store_path.string()}); !s.ok()) return s;
  Attached detach(db->get());
  Merger m{**db, o, source_results, {}, std::nullopt};
  m.result.source = store_path.string();
  if (Status s = m.MergeRuns(); !s.ok()) return s;
  if (Status s = m.MergeSuites(); !s.ok()) return s;
  return std::move(m.result);
}

}  // namespace faultline::harness
