// Thin RAII wrappers over the SQLite C API used by the history store: a connection and a prepared
// statement with typed binds and column reads. Errors come back as Status naming the SQL and the
// SQLite message. Not thread-safe: the owner serializes access (HistoryStore holds a mutex).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace faultline::harness {

class SqliteStmt {
 public:
  SqliteStmt() = default;
  SqliteStmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  SqliteStmt(SqliteStmt&& other) noexcept;
  SqliteStmt& operator=(SqliteStmt&& other) noexcept;
  ~SqliteStmt();

  // Binds are 1-based like SQLite's. A nullopt binds NULL.
  void Bind(int i, int64_t v);
  void Bind(int i, double v);
  void Bind(int i, const std::string& v);
  void Bind(int i, const std::optional<int64_t>& v);
  void Bind(int i, const std::optional<std::string>& v);
  void BindNull(int i);
  // Binds text SQLite does not copy: `v` must stay alive and unchanged until the next Reset().
  void BindStatic(int i, std::string_view v);

  // Runs one step. Returns true when a row is available, false when done.
  Result<bool> Step();
  // Step() until done, then Reset(): for INSERT/UPDATE.
  Status Run();
  void Reset();  // resets and clears bindings

  int64_t Int(int col) const;
  double Double(int col) const;
  std::string Text(int col) const;
  bool IsNull(int col) const;
  std::optional<int64_t> OptInt(int col) const;
  std::optional<std::string> OptText(int col) const;

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteDb {
 public:
  // Opens (creating if needed) `path`; busy timeout 5 s so two runs may share a database.
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path);
  // Opens an existing `path` read-only (SQLITE_OPEN_READONLY): nothing can be written.
  static Result<std::unique_ptr<SqliteDb>> OpenReadOnly(const std::string& path);
  ~SqliteDb();

  Status Exec(const std::string& sql);
  Result<SqliteStmt> Prepare(const std::string& sql);
  int64_t LastInsertId() const;

 private:
  static Result<std::unique_ptr<SqliteDb>> OpenWithFlags(const std::string& path, int flags);
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

}  // namespace faultline::harness
