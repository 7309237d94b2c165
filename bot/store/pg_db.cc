#include "bot/store/pg_db.h"

#include <libpq-fe.h>

#include <cctype>
#include <cstdlib>

namespace ccci {

std::string PgDb::NumberedParams(std::string_view sql, int* params) {
  std::string out;
  out.reserve(sql.size());
  *params = 0;
  char quote = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (quote) {
      out += c;
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      out += c;
      continue;
    }
    if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      size_t end = sql.find('\n', i);
      if (end == std::string_view::npos) end = sql.size();
      out.append(sql.substr(i, end - i));
      i = end - 1;
      continue;
    }
    // SQLite's index hint names an index PostgreSQL's planner does not take orders from.
    if (constexpr std::string_view kHint = " INDEXED BY "; sql.substr(i, kHint.size()) == kHint) {
      size_t j = i + kHint.size();
      while (j < sql.size() &&
             (std::isalnum(static_cast<unsigned char>(sql[j])) || sql[j] == '_')) {
        ++j;
      }
      i = j - 1;
      continue;
    }
    if (c == '?' && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
      size_t j = i + 1;
      int n = 0;
      while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') n = n * 10 + (sql[j++] - '0');
      if (n > *params) *params = n;
      out += '$';
      out.append(sql.substr(i + 1, j - i - 1));
      i = j - 1;
      continue;
    }
    out += c;
  }
  return out;
}

Result<std::unique_ptr<PgDb>> PgDb::Open(const std::string& url) {
  std::unique_ptr<PgDb> db(new PgDb(url));
  CCCI_RETURN_IF_ERROR(db->Connect());
  return db;
}

PgDb::~PgDb() {
  cache_.clear();
  if (conn_) PQfinish(conn_);
}

Status PgDb::Connect() {
  if (conn_ && PQstatus(conn_) == CONNECTION_OK) return Status::Ok();
  if (conn_) PQfinish(conn_);
  ++session_;  // prepared statements died with the old session
  deferred_.clear();
  conn_ = PQconnectdb(url_.c_str());
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn_);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    PQfinish(conn_);
    conn_ = nullptr;
    return Unavailable("postgres: cannot connect: " + msg);
  }
  // Quiet NOTICEs (e.g. "relation already exists, skipping"); errors still come back.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
  // Every node's sessions, workers' and front nodes' alike: cc-ci never waits on anything but
  // the server inside a transaction, so one idle in it for long is a process that was stopped
  // (SIGSTOP, a paused VM) or cut off. Its locks would hold up everyone meanwhile: the reaper
  // skips the rows it locked (its runs are never given to another worker), and a node starting
  // waits on them to replace the `runs` trigger while every later statement on `runs` queues
  // behind that. The server ends such a session after kIdleInTransaction (well under the
  // default lease of 60 s), rolling its transaction back; the stopped process, continued,
  // finds its connection gone and reconnects (its lease fences what it may still do). A value
  // the operator set (the connection string's `options`, ALTER ROLE/DATABASE) is kept.
  constexpr const char* kIdleInTransaction = "20s";
  PGresult* res =
      PQexec(conn_, (std::string("SELECT set_config('idle_in_transaction_session_timeout', '") +
                     kIdleInTransaction +
                     "', false) WHERE current_setting('idle_in_transaction_session_timeout') = '0'")
                        .c_str());
  bool set = PQresultStatus(res) == PGRES_TUPLES_OK;
  PQclear(res);
  if (!set) {
    std::string msg = PQerrorMessage(conn_);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    PQfinish(conn_);
    conn_ = nullptr;
    return Unavailable("postgres: cannot set idle_in_transaction_session_timeout: " + msg);
  }
  return Status::Ok();
}

Status PgDb::Failure(const char* what, PGresult* res) {
  std::string msg = res ? PQresultErrorMessage(res) : "";
  if (msg.empty() && conn_) msg = PQerrorMessage(conn_);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  const char* field = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string state = field ? field : "";  // copied: it lives in res
  if (res) PQclear(res);
  // Class 08: connection exceptions; 57P0x: the server is shutting down or restarting.
  bool lost = !conn_ || PQstatus(conn_) != CONNECTION_OK || state.substr(0, 2) == "08" ||
              state.substr(0, 3) == "57P";
  std::string text = std::string("postgres ") + what + ": " + msg;
  return lost ? Unavailable(text) : Internal(text);
}

Status PgDb::Live() {
  if (conn_ && PQstatus(conn_) == CONNECTION_OK) return Status::Ok();
  return Unavailable("postgres: the connection was lost");
}

Status PgDb::Exec(const std::string& sql) {
  CCCI_RETURN_IF_ERROR(Flush());
  CCCI_RETURN_IF_ERROR(Live());
  PGresult* res = PQexec(conn_, sql.c_str());
  ExecStatusType st = PQresultStatus(res);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Failure("exec", res);
  PQclear(res);
  return Status::Ok();
}

Result<StmtRef> PgDb::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return StmtRef(it->second.get());
  int params = 0;
  std::string text = NumberedParams(sql, &params);
  auto stmt = std::make_unique<PgStmt>(this, "s" + std::to_string(next_name_++), text, params);
  PgStmt* p = stmt.get();
  cache_.emplace(sql, std::move(stmt));
  return StmtRef(p);
}

Status PgDb::RunDeferred(SqlStmt& stmt) {
  auto& s = static_cast<PgStmt&>(stmt);  // every statement of a PgDb is a PgStmt
  deferred_.push_back({&s, s.values_, s.formats_});
  return Status::Ok();
}

Status PgDb::Pipeline(PgStmt* last) {
  if (deferred_.empty() && !last) return Status::Ok();
  std::vector<Deferred> sends = std::move(deferred_);
  deferred_.clear();
  CCCI_RETURN_IF_ERROR(Live());
  if (last) sends.push_back({last, last->values_, last->formats_});
  if (PQenterPipelineMode(conn_) != 1) return Failure("pipeline", nullptr);
  // Sent: whether each statement was prepared in this pipeline first. A statement prepared
  // here is marked so at once (a later send of it must not prepare it again), and unmarked
  // if the pipeline fails.
  std::vector<bool> prepares(sends.size(), false);
  bool sent = true;
  for (size_t i = 0; sent && i < sends.size(); ++i) {
    PgStmt* st = sends[i].stmt;
    if (st->session_ != session_) {
      sent = PQsendPrepare(conn_, st->name_.c_str(), st->text_.c_str(), 0, nullptr) == 1;
      prepares[i] = true;
      st->session_ = session_;
    }
    std::vector<const char*> values(sends[i].values.size());
    std::vector<int> lengths(values.size(), 0);
    for (size_t v = 0; v < values.size(); ++v) {
      const std::optional<std::string>& value = sends[i].values[v];
      values[v] = value ? value->c_str() : nullptr;
      if (value) lengths[v] = static_cast<int>(value->size());
    }
    sent = sent && PQsendQueryPrepared(conn_, st->name_.c_str(), static_cast<int>(values.size()),
                                       values.data(), lengths.data(),
                                       sends[i].formats.data(), 0) == 1;
  }
  Status first = Status::Ok();
  // One result per prepare and per query, each followed by a null; then the sync's.
  auto take = [&](bool keep, PgStmt* owner) {
    PGresult* res = PQgetResult(conn_);
    if (!res) return false;
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      Status failed = Failure("pipeline", res);  // clears res
      if (first.ok()) first = failed;
    } else if (keep) {
      owner->Keep(res);
    } else {
      PQclear(res);
    }
    while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);  // up to the null
    return true;
  };
  bool whole = sent && PQpipelineSync(conn_) == 1;
  for (size_t i = 0; whole && i < sends.size(); ++i) {
    if (prepares[i]) whole = take(false, nullptr);
    bool is_last = last && i + 1 == sends.size();
    whole = whole && take(is_last, last);
  }
  if (whole) {
    PGresult* sync = PQgetResult(conn_);
    whole = sync && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
    if (sync) PQclear(sync);
  }
  whole = whole && PQexitPipelineMode(conn_) == 1;
  if (!first.ok() || !whole) {
    for (size_t i = 0; i < sends.size(); ++i) {
      if (prepares[i]) sends[i].stmt->session_ = -1;
    }
  }
  if (!whole) {
    // The connection is in a state no later call can use: drop it; the next Ready()
    // reconnects (the transaction is lost either way).
    Status failed = Failure("pipeline", nullptr);
    PQfinish(conn_);
    conn_ = nullptr;
    return first.ok() ? Unavailable(failed.message()) : first;
  }
  return first;
}

void PgStmt::Keep(PGresult* res) {
  if (result_) PQclear(result_);
  const char* tuples = PQcmdTuples(res);
  db_->changes_ = tuples && *tuples ? std::strtoll(tuples, nullptr, 10) : 0;
  result_ = res;
  rows_ = PQntuples(res);
  row_ = -1;
}

PgStmt::~PgStmt() {
  if (result_) PQclear(result_);
}

void PgStmt::BindInt(int i, int64_t v) {
  if (i >= 1 && i <= static_cast<int>(values_.size())) values_[i - 1] = std::to_string(v);
}

void PgStmt::BindText(int i, std::string_view v) {
  if (i >= 1 && i <= static_cast<int>(values_.size())) values_[i - 1] = std::string(v);
}

void PgStmt::BindNullAt(int i) {
  if (i >= 1 && i <= static_cast<int>(values_.size())) values_[i - 1].reset();
}

void PgStmt::BindBlobAt(int i, std::string_view v) {
  if (i < 1 || i > static_cast<int>(values_.size())) return;
  values_[i - 1] = std::string(v);
  formats_[i - 1] = 1;
}

Result<bool> PgStmt::Step() {
  if (!result_ && !db_->deferred_.empty()) {
    CCCI_RETURN_IF_ERROR(db_->Pipeline(this));
    if (!result_) return Internal("postgres: the pipeline gave no result");
  }
  if (!result_) {
    CCCI_RETURN_IF_ERROR(db_->Live());
    if (session_ != db_->session_) {
      PGresult* res = PQprepare(db_->conn_, name_.c_str(), text_.c_str(), 0, nullptr);
      if (PQresultStatus(res) != PGRES_COMMAND_OK) return db_->Failure("prepare", res);
      PQclear(res);
      session_ = db_->session_;
    }
    std::vector<const char*> values(values_.size());
    std::vector<int> lengths(values_.size(), 0);
    for (size_t i = 0; i < values_.size(); ++i) {
      values[i] = values_[i] ? values_[i]->c_str() : nullptr;
      if (values_[i]) lengths[i] = static_cast<int>(values_[i]->size());
    }
    PGresult* res = PQexecPrepared(db_->conn_, name_.c_str(), static_cast<int>(values.size()),
                                   values.data(), lengths.data(), formats_.data(), 0);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return db_->Failure("query", res);
    Keep(res);
  }
  if (row_ + 1 >= rows_) {
    row_ = rows_;
    return false;
  }
  ++row_;
  return true;
}

int64_t PgStmt::Int(int col) const {
  const char* v = PQgetvalue(result_, row_, col);
  if (!v || !*v) return 0;
  if (v[0] == 't' && v[1] == 0) return 1;  // a boolean column
  if (v[0] == 'f' && v[1] == 0) return 0;
  return std::strtoll(v, nullptr, 10);
}

bool PgStmt::IsNull(int col) const { return PQgetisnull(result_, row_, col) != 0; }

std::string PgStmt::Text(int col) const {
  return std::string(PQgetvalue(result_, row_, col), PQgetlength(result_, row_, col));
}

std::string PgStmt::Blob(int col) const {
  const char* v = PQgetvalue(result_, row_, col);
  size_t n = static_cast<size_t>(PQgetlength(result_, row_, col));
  if (n < 2 || v[0] != '\\' || v[1] != 'x') return std::string(v, n);
  auto digit = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  std::string out;
  out.reserve((n - 2) / 2);
  for (size_t i = 2; i + 1 < n; i += 2) {
    out.push_back(static_cast<char>(digit(v[i]) << 4 | digit(v[i + 1])));
  }
  return out;
}

void PgStmt::Reset() {
  if (result_) PQclear(result_);
  result_ = nullptr;
  row_ = -1;
  rows_ = 0;
  for (auto& v : values_) v.reset();
  for (int& f : formats_) f = 0;
}

}  // namespace ccci
