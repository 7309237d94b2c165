#pragma once
// The SQLite connection (sql_db.h): opened with cc-ci's pragmas, prepared statements cached
// for the connection's life. Every SQLite error becomes a Status here.

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "bot/store/sql_db.h"

namespace ccci {

class SqliteStmt : public SqlStmt {
 public:
  explicit SqliteStmt(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  SqliteStmt(const SqlStmt&) = delete;
  SqliteStmt& operator=(const SqlStmt&) = delete;

  Result<bool> Step() override;
  int64_t Int(int col) const override { return sqlite3_column_int64(stmt_, col); }
  bool IsNull(int col) const override { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string Text(int col) const override;
  std::string Blob(int col) const override;
  void Reset() override;

 protected:
  void BindInt(int i, int64_t v) override;
  void BindText(int i, std::string_view v) override;
  void BindNullAt(int i) override;
  void BindBlobAt(int i, std::string_view v) override;

 private:
  sqlite3_stmt* stmt_;
  sqlite3* db_;
};

class SqliteDb : public SqlDb {
 public:
  struct Options {
    std::string path;               // a file (created 0640, base/private_files.h), or ":memory:"
    bool synchronous_full = false;  // FULL (power loss) instead of NORMAL (process crash)
    bool read_only = false;
    // How long to wait for a lock another process holds before failing with Unavailable.
    // Kept under Gitea's 5 s delivery timeout so a stuck lock yields a 503, not a timeout.
    int busy_timeout_ms = 2000;
  };
  static Result<std::unique_ptr<SqliteDb>> Open(const Options& options);
  ~SqliteDb() override;
  SqliteDb(const SqlDb&) = delete;
  SqlDb& operator=(const SqlDb&) = delete;

  Status Exec(const std::string& sql) override;
  Result<StmtRef> Prepare(const std::string& sql) override;
  int64_t Changes() const override { return sqlite3_changes(db_); }
  const char* BeginWrite() const override { return "BEGIN IMMEDIATE"; }
  const char* OrFail() const override { return " OR FAIL"; }
  const char* ReturningId() const override { return ""; }
  Result<int64_t> InsertedId(SqlStmt& insert) override {
    CCCI_RETURN_IF_ERROR(insert.Run());
    return sqlite3_last_insert_rowid(db_);
  }

  // The busy handler's state: how long to wait for a lock, since when (sqlite_db.cc).
  struct LockWait {
    int timeout_ms = 0;
    std::chrono::steady_clock::time_point since;
  };
  sqlite3* raw() { return db_; }
  // Writes the database file and its WAL through to the disk (fdatasync) by this connection's
  // own file handles, taking no lock: other connections write on meanwhile. A checkpointer
  // calls it before a checkpoint that holds writers back, so that checkpoint's own syncs find
  // little left to write.
  Status SyncFiles();

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  LockWait lock_wait_;
  std::map<std::string, std::pair<sqlite3_stmt*, std::unique_ptr<SqliteStmt>>> cache_;
};

}  // namespace ccci
