#pragma once
// The PostgreSQL connection (sql_db.h) over libpq. Statements are prepared on the server once
// per connection, their ?N parameters rewritten to $N; values travel as text, typed by the
// server from the statement. A lost connection fails the call in progress with Unavailable
// (the caller answers 503; nothing is acknowledged) and is reopened by the next call, with
// its prepared statements forgotten.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "bot/store/sql_db.h"

struct pg_conn;
struct pg_result;

namespace ccci {

class PgDb;

class PgStmt : public SqlStmt {
 public:
  PgStmt(PgDb* db, std::string name, std::string text, int params)
      : db_(db), name_(std::move(name)), text_(std::move(text)), values_(params) {}
  ~PgStmt() override;

  Result<bool> Step() override;
  int64_t Int(int col) const override;
  bool IsNull(int col) const override;
  std::string Text(int col) const override;
  // bytea comes back in the text format as "\\x" and two hex digits a byte.
  std::string Blob(int col) const override;
  void Reset() override;

 protected:
  void BindInt(int i, int64_t v) override;
  void BindText(int i, std::string_view v) override;
  void BindNullAt(int i) override;
  // Sent in the binary format: a bytea's binary form is its bytes.
  void BindBlobAt(int i, std::string_view v) override;

 private:
  friend class PgDb;
  // Takes `res` as this statement's result, its rows to be read by Step.
  void Keep(pg_result* res);

  PgDb* db_;
  std::string name_;      // of the server-side prepared statement
  std::string text_;      // the SQL with $N parameters
  int64_t session_ = -1;  // the PgDb session it was prepared in
  std::vector<std::optional<std::string>> values_;
  std::vector<int> formats_ = std::vector<int>(values_.size(), 0);  // 1: binary (a blob)
  pg_result* result_ = nullptr;
  int row_ = -1;
  int rows_ = 0;
};

class PgDb : public SqlDb {
 public:
  // `url`: a libpq connection string or URI.
  static Result<std::unique_ptr<PgDb>> Open(const std::string& url);
  ~PgDb() override;
  PgDb(const PgDb&) = delete;
  PgDb& operator=(const PgDb&) = delete;

  Status Exec(const std::string& sql) override;
  Result<StmtRef> Prepare(const std::string& sql) override;
  int64_t Changes() const override { return changes_; }
  const char* BeginWrite() const override { return "BEGIN"; }
  const char* SkipLocked() const override { return " FOR UPDATE SKIP LOCKED"; }
  Status Ready() override { return Connect(); }
  Status RunDeferred(SqlStmt& stmt) override;
  Status Flush() override { return Pipeline(nullptr); }
  void DropDeferred() override { deferred_.clear(); }

  // ?N -> $N outside string literals and comments; SQLite's " INDEXED BY name" hints dropped.
  static std::string NumberedParams(std::string_view sql, int* params);

 private:
  friend class PgStmt;
  explicit PgDb(std::string url) : url_(std::move(url)) {}
  // Reconnects when the connection was lost (a new session: statements are prepared again).
  Status Connect();
  // Unavailable unless the connection is up.
  Status Live();
  // A failed result as a Status: Unavailable when the connection is gone.
  Status Failure(const char* what, pg_result* res);
  // Sends the deferred statements, then `last` (may be null; its rows are kept for its Step),
  // in one pipeline: one round trip. Returns the first failure.
  Status Pipeline(PgStmt* last);

  // A statement RunDeferred left, with the values bound then (the statement is reset after).
  struct Deferred {
    PgStmt* stmt;
    std::vector<std::optional<std::string>> values;
    std::vector<int> formats;  // 1: binary (a blob)
  };

  std::string url_;
  pg_conn* conn_ = nullptr;
  int64_t changes_ = 0;
  int next_name_ = 0;
  int64_t session_ = 0;
  std::map<std::string, std::unique_ptr<PgStmt>> cache_;
  std::vector<Deferred> deferred_;
};

}  // namespace ccci
