#include "bot/store/sqlite_db.h"

#include <chrono>
#include <mutex>
#include <thread>

#include "base/private_files.h"
#include "bot/store/sqlite_malloc.h"
#include "bot/store/sqlite_page_cache.h"

namespace ccci {
namespace {

// Process-wide settings, made before SQLite initializes (sqlite3_config refuses them after).
// Memory statistics off: with them on, every allocation SQLite makes takes a global mutex
// (SQLite's own docs advise this for speed); cc-ci never reads them. Allocations from free
// lists per thread (sqlite_malloc.h). A page cache without a walk at each commit after a
// split (sqlite_page_cache.h).
void ConfigureSqliteOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    InstallSqliteAllocator();
    InstallSqlitePageCache();
  });
}

// Waits out a lock another connection holds, in short even steps, until its timeout has
// passed. SQLite's own busy timeout sleeps 1, 2, 5, 10, ... 100 ms between tries, so a writer
// that met a checkpoint's lock for a moment could oversleep it by up to 100 ms (measured: the
// intake's p99 behind RESTART checkpoints went from 244 to 126 ms with this alone).
int WaitForLock(void* arg, int attempt) {
  auto* wait = static_cast<SqliteDb::LockWait*>(arg);
  auto now = std::chrono::steady_clock::now();
  if (attempt == 0) wait->since = now;
  if (now - wait->since >= std::chrono::milliseconds(wait->timeout_ms)) return 0;
  std::this_thread::sleep_for(std::chrono::microseconds(250));
  return 1;
}

}  // namespace

void SqliteStmt::BindInt(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }

void SqliteStmt::BindText(int i, std::string_view v) {
  sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

void SqliteStmt::BindNullAt(int i) { sqlite3_bind_null(stmt_, i); }

void SqliteStmt::BindBlobAt(int i, std::string_view v) {
  sqlite3_bind_blob64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT);
}

Result<bool> SqliteStmt::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Internal(std::string("sqlite: ") + sqlite3_errmsg(db_));
}

std::string SqliteStmt::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  if (!p) return "";
  return std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, col));
}

std::string SqliteStmt::Blob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  if (!p) return "";
  return std::string(static_cast<const char*>(p), sqlite3_column_bytes(stmt_, col));
}

void SqliteStmt::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const Options& options) {
  ConfigureSqliteOnce();
  bool memory = options.path == ":memory:";
  if (!memory && !options.read_only) {
    // Created private (SQLite would make it 0644 less the umask); its -wal and -shm files
    // take the database file's mode.
    CCCI_RETURN_IF_ERROR(MakePrivateFile(options.path));
  }
  sqlite3* raw = nullptr;
  int flags =
      options.read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  flags |= SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(options.path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close(raw);
    return Unavailable("cannot open database " + options.path + ": " + msg);
  }
  std::unique_ptr<SqliteDb> db(new SqliteDb(raw));
  db->lock_wait_.timeout_ms = options.busy_timeout_ms;
  sqlite3_busy_handler(raw, WaitForLock, &db->lock_wait_);
  if (!options.read_only) {
    CCCI_RETURN_IF_ERROR(
        db->Exec(memory ? "PRAGMA journal_mode=MEMORY" : "PRAGMA journal_mode=WAL"));
    CCCI_RETURN_IF_ERROR(db->Exec(options.synchronous_full ? "PRAGMA synchronous=FULL"
                                                           : "PRAGMA synchronous=NORMAL"));
  }
  CCCI_RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys=ON"));
  CCCI_RETURN_IF_ERROR(db->Exec("PRAGMA cache_size=-8000"));
  return db;
}

SqliteDb::~SqliteDb() {
  for (auto& [sql, entry] : cache_) sqlite3_finalize(entry.first);
  sqlite3_close_v2(db_);
}

Status SqliteDb::Exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return Internal("sqlite: " + msg);
  }
  return Status::Ok();
}

Status SqliteDb::SyncFiles() {
  // (Through SQLite's handles, not a descriptor of our own: closing any descriptor of the
  // database file would drop every POSIX lock this process holds on it.)
  for (int op : {SQLITE_FCNTL_FILE_POINTER, SQLITE_FCNTL_JOURNAL_POINTER}) {
    sqlite3_file* file = nullptr;
    int rc = sqlite3_file_control(db_, "main", op, &file);
    if (rc == SQLITE_OK && file && file->pMethods) {
      rc = file->pMethods->xSync(file, SQLITE_SYNC_NORMAL);
    }
    if (rc != SQLITE_OK) return Internal(std::string("sqlite: sync: ") + sqlite3_errstr(rc));
  }
  return Status::Ok();
}

Result<StmtRef> SqliteDb::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return StmtRef(it->second.second.get());
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return Internal(std::string("sqlite prepare: ") + sqlite3_errmsg(db_));
  auto wrapper = std::make_unique<SqliteStmt>(stmt, db_);
  SqliteStmt* p = wrapper.get();
  cache_.emplace(sql, std::make_pair(stmt, std::move(wrapper)));
  return StmtRef(p);
}

}  // namespace ccci
