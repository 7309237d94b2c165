#pragma once
// A thin RAII adapter over one sqlite3 connection: open with cc-ci's pragmas, exec, cached
// prepared statements, typed binds and columns. Every SQLite error becomes a Status here.
// Not thread-safe: a connection is used by one thread at a time (the caller's mutex).

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace ccci {

class SqliteStmt {
 public:
  explicit SqliteStmt(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  SqliteStmt(const SqliteStmt&) = delete;
  SqliteStmt& operator=(const SqliteStmt&) = delete;

  // Binds are 1-based, as in SQLite.
  SqliteStmt& Bind(int i, int64_t v);
  SqliteStmt& Bind(int i, int v) { return Bind(i, static_cast<int64_t>(v)); }
  SqliteStmt& Bind(int i, std::string_view v);
  SqliteStmt& Bind(int i, const std::string& v) { return Bind(i, std::string_view(v)); }
  SqliteStmt& Bind(int i, const char* v) { return Bind(i, std::string_view(v)); }
  SqliteStmt& Bind(int i, std::optional<int64_t> v);
  SqliteStmt& BindNull(int i);

  // Returns true when a row is available, false when done; errors as Status.
  Result<bool> Step();
  // Steps to completion, for statements without rows.
  Status Run();

  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string Text(int col) const;

  // Resets and clears bindings so the cached statement can be reused.
  void Reset();

 private:
  sqlite3_stmt* stmt_;
  sqlite3* db_;
};

// A borrowed cached statement that is reset when it goes out of scope, so no statement is
// left mid-step holding a read transaction open (which would stall WAL checkpoints).
class StmtRef {
 public:
  explicit StmtRef(SqliteStmt* stmt) : stmt_(stmt) {}
  StmtRef(StmtRef&& o) noexcept : stmt_(o.stmt_) { o.stmt_ = nullptr; }
  StmtRef& operator=(StmtRef&& o) noexcept {
    std::swap(stmt_, o.stmt_);
    return *this;
  }
  StmtRef(const StmtRef&) = delete;
  ~StmtRef() {
    if (stmt_) stmt_->Reset();
  }
  SqliteStmt* operator->() const { return stmt_; }
  SqliteStmt& operator*() const { return *stmt_; }

 private:
  SqliteStmt* stmt_;
};

class SqliteDb {
 public:
  struct Options {
    std::string path;                // a file (created 0640, base/private_files.h), or ":memory:"
    bool synchronous_full = false;   // FULL (power loss) instead of NORMAL (process crash)
    bool read_only = false;
    // How long to wait for a lock another process holds before failing with Unavailable.
    // Kept under Gitea's 5 s delivery timeout so a stuck lock yields a 503, not a timeout.
    int busy_timeout_ms = 2000;
  };
  static Result<std::unique_ptr<SqliteDb>> Open(const Options& options);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  Status Exec(const std::string& sql);
  // A cached statement, ready to bind; reset again when the StmtRef goes away.
  // REQUIRES: the same SQL is not prepared twice at once.
  Result<StmtRef> Prepare(const std::string& sql);
  int64_t LastInsertId() const { return sqlite3_last_insert_rowid(db_); }
  int Changes() const { return sqlite3_changes(db_); }
  sqlite3* raw() { return db_; }

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::map<std::string, std::pair<sqlite3_stmt*, std::unique_ptr<SqliteStmt>>> cache_;
};

}  // namespace ccci
