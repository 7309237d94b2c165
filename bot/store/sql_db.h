#pragma once
// One database connection as the store's SQL sees it, whatever the driver: exec, cached
// prepared statements, typed binds and columns. The store's queries are written once, in the
// SQL SQLite and PostgreSQL both accept, with numbered parameters (?1, ?2: the PostgreSQL
// connection rewrites them to $1, $2 and drops SQLite's INDEXED BY hints). A parameter has
// one type on PostgreSQL: bind a number and its text as two. Every driver error becomes a
// Status: Unavailable when the database cannot be reached (the caller answers 503 and tries
// again later), Internal otherwise. Not thread-safe: a connection is used by one thread at a
// time (the caller's mutex).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "base/status.h"

namespace ccci {

class SqlStmt {
 public:
  virtual ~SqlStmt() = default;

  // Binds are 1-based, as ?1 in the SQL.
  SqlStmt& Bind(int i, int64_t v) {
    BindInt(i, v);
    return *this;
  }
  SqlStmt& Bind(int i, int v) { return Bind(i, static_cast<int64_t>(v)); }
  SqlStmt& Bind(int i, std::string_view v) {
    BindText(i, v);
    return *this;
  }
  SqlStmt& Bind(int i, const std::string& v) { return Bind(i, std::string_view(v)); }
  SqlStmt& Bind(int i, const char* v) { return Bind(i, std::string_view(v)); }
  SqlStmt& Bind(int i, std::optional<int64_t> v) { return v ? Bind(i, *v) : BindNull(i); }
  SqlStmt& BindNull(int i) {
    BindNullAt(i);
    return *this;
  }
  // Bytes for a BLOB (SQLite) or BYTEA (PostgreSQL) column: any bytes, NUL and invalid
  // UTF-8 included, which a text parameter cannot carry on PostgreSQL.
  SqlStmt& BindBlob(int i, std::string_view v) {
    BindBlobAt(i, v);
    return *this;
  }

  // Returns true when a row is available, false when done; errors as Status.
  virtual Result<bool> Step() = 0;
  // Steps to completion, for statements without rows.
  Status Run() {
    for (;;) {
      auto r = Step();
      if (!r.ok()) return r.status();
      if (!*r) return Status::Ok();
    }
  }

  virtual int64_t Int(int col) const = 0;  // 0-based columns
  virtual bool IsNull(int col) const = 0;
  virtual std::string Text(int col) const = 0;
  // A column bound with BindBlob, as its bytes.
  virtual std::string Blob(int col) const = 0;

  // Resets and clears bindings so the cached statement can be reused.
  virtual void Reset() = 0;

 protected:
  virtual void BindInt(int i, int64_t v) = 0;
  virtual void BindText(int i, std::string_view v) = 0;
  virtual void BindNullAt(int i) = 0;
  virtual void BindBlobAt(int i, std::string_view v) = 0;
};

// A borrowed cached statement that is reset when it goes out of scope, so no statement is
// left mid-step holding a read transaction open (which would stall SQLite's WAL checkpoints).
class StmtRef {
 public:
  explicit StmtRef(SqlStmt* stmt) : stmt_(stmt) {}
  StmtRef(StmtRef&& o) noexcept : stmt_(o.stmt_) { o.stmt_ = nullptr; }
  StmtRef& operator=(StmtRef&& o) noexcept {
    std::swap(stmt_, o.stmt_);
    return *this;
  }
  StmtRef(const StmtRef&) = delete;
  ~StmtRef() {
    if (stmt_) stmt_->Reset();
  }
  SqlStmt* operator->() const { return stmt_; }
  SqlStmt& operator*() const { return *stmt_; }

 private:
  SqlStmt* stmt_;
};

class SqlDb {
 public:
  virtual ~SqlDb() = default;

  // Runs one or more statements without parameters or rows.
  virtual Status Exec(const std::string& sql) = 0;
  // A cached statement, ready to bind; reset again when the StmtRef goes away.
  // REQUIRES: the same SQL is not prepared twice at once.
  virtual Result<StmtRef> Prepare(const std::string& sql) = 0;
  // Rows the last INSERT, UPDATE or DELETE changed.
  virtual int64_t Changes() const = 0;
  // Opens the transaction a batch of writes shares (SQLite takes its write lock at once).
  virtual const char* BeginWrite() const = 0;
  // Appended to a SELECT that picks rows to update while other hosts do the same: PostgreSQL
  // locks them and passes over rows others hold; SQLite has one writer and needs nothing.
  virtual const char* SkipLocked() const { return ""; }
  // Put after INSERT or UPDATE (" OR FAIL" on SQLite) where a failed statement fails its job:
  // the job's changes are then undone with its transaction or savepoint, so SQLite need not
  // keep a statement journal to undo that one statement. It keeps one for every statement
  // that may write more than one row (a trigger's, too) and may stop on a constraint, so a
  // delivery's INSERT (its table has triggers) and a superseding UPDATE each paid for one.
  virtual const char* OrFail() const { return ""; }
  // Put at the end of an INSERT of one row whose new id the caller reads with InsertedId:
  // " RETURNING id" on PostgreSQL; "" on SQLite, whose RETURNING first writes its rows to a
  // temporary table (a b-tree opened, its pages allocated, for one id), and whose connection
  // knows the id anyway.
  virtual const char* ReturningId() const { return " RETURNING id"; }
  // Runs an INSERT prepared with ReturningId() at its end; returns the new row's id.
  virtual Result<int64_t> InsertedId(SqlStmt& insert) {
    auto row = insert.Step();
    if (!row.ok()) return row.status();
    if (!*row) return Internal("an insert returned no id");
    return insert.Int(0);
  }
  // Runs a bound statement without rows, now or a little later: PostgreSQL sends it with the
  // next statement whose rows are read, or at Flush, in one round trip (pipeline mode); SQLite
  // runs it now. Its failure may so surface only there. Changes() does not count it.
  virtual Status RunDeferred(SqlStmt& stmt) { return stmt.Run(); }
  // Runs what RunDeferred left; returns the first failure.
  virtual Status Flush() { return Status::Ok(); }
  // Forgets what RunDeferred left, unrun (before a rollback).
  virtual void DropDeferred() {}
  // Called before each read and each batch of writes, never inside a transaction: reopens a
  // lost connection (a server restart), so one failed call is all a lost connection costs.
  // Nothing else reconnects: a transaction never continues on a new session.
  virtual Status Ready() { return Status::Ok(); }
};

}  // namespace ccci
