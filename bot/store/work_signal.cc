#include "bot/store/work_signal.h"

#include <libpq-fe.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <string_view>

#include "base/log.h"

namespace ccci {
namespace {

// SQLite: nothing to listen to; waits out the timeout unless interrupted.
class TimeoutSignal : public WorkSignal {
 public:
  bool WaitForWork(std::chrono::milliseconds timeout) override {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return interrupted_; });
    interrupted_ = false;
    return false;
  }
  void Interrupt() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      interrupted_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool interrupted_ = false;
};

// PostgreSQL: LISTEN on a connection of its own; poll() on its socket and an eventfd (for
// Interrupt). Used by one waiting thread at a time.
class ListenSignal : public WorkSignal {
 public:
  explicit ListenSignal(std::string url) : url_(std::move(url)), wake_(eventfd(0, EFD_CLOEXEC)) {}
  ~ListenSignal() override {
    if (conn_) PQfinish(conn_);
    if (wake_ >= 0) close(wake_);
  }

  bool WaitForWork(std::chrono::milliseconds timeout) override {
    if (!Connected()) {
      WaitOn(-1, timeout);
      return false;
    }
    if (Drain()) return true;  // arrived while nobody waited
    bool readable = WaitOn(PQsocket(conn_), timeout);
    if (!readable) return false;
    if (PQconsumeInput(conn_) == 0) {
      LogWarn("store.work_signal_lost", {{"reason", PQerrorMessage(conn_)}});
      PQfinish(conn_);
      conn_ = nullptr;
      return false;
    }
    return Drain();
  }

  void Interrupt() override {
    uint64_t one = 1;
    ssize_t n = write(wake_, &one, sizeof(one));
    (void)n;  // an eventfd write fails only when the counter would overflow: already woken
  }

 private:
  // Connects and LISTENs unless it already does.
  bool Connected() {
    if (conn_ && PQstatus(conn_) == CONNECTION_OK) return true;
    if (conn_) PQfinish(conn_);
    conn_ = PQconnectdb(url_.c_str());
    if (PQstatus(conn_) == CONNECTION_OK) {
      PGresult* r = PQexec(conn_, "SELECT current_schema()");
      bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
      if (ok) schema_ = PQgetvalue(r, 0, 0);
      PQclear(r);
      r = PQexec(conn_, (std::string("LISTEN ") + kWorkChannel).c_str());
      ok = ok && PQresultStatus(r) == PGRES_COMMAND_OK;
      PQclear(r);
      if (ok) return true;
    }
    LogWarn("store.work_signal_unavailable", {{"reason", PQerrorMessage(conn_)}});
    PQfinish(conn_);
    conn_ = nullptr;
    return false;
  }
  // Consumes every pending notification; true if there was one for this store's schema.
  bool Drain() {
    bool any = false;
    while (PGnotify* n = PQnotifies(conn_)) {
      if (schema_ == n->extra) any = true;
      PQfreemem(n);
    }
    return any;
  }
  // Polls `fd` (none when negative) and the eventfd; true when `fd` is readable.
  bool WaitOn(int fd, std::chrono::milliseconds timeout) {
    pollfd fds[2] = {{wake_, POLLIN, 0}, {fd, POLLIN, 0}};
    int n = poll(fds, fd >= 0 ? 2 : 1, static_cast<int>(timeout.count()));
    if (n > 0 && (fds[0].revents & POLLIN)) {
      uint64_t count = 0;
      ssize_t r = read(wake_, &count, sizeof(count));
      (void)r;  // reset the counter; the interrupt is what counted
      return false;
    }
    return n > 0 && fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR));
  }

  std::string url_;
  std::string schema_;  // notifications name the schema of the runs table that changed
  int wake_;
  PGconn* conn_ = nullptr;
};

}  // namespace

std::unique_ptr<WorkSignal> OpenWorkSignal(const std::string& driver, const std::string& url) {
  if (driver == "postgres") return std::make_unique<ListenSignal>(url);
  return std::make_unique<TimeoutSignal>();
}

namespace {

// What InstallWorkNotify installs. The trigger's text is also how PostgreSQL prints it back
// (pg_get_triggerdef(oid, true), after "CREATE "), so a start can tell it is already there.
// Which rows notify is the trigger's WHEN: a row it rules out (a run superseded or finished)
// calls no PL/pgSQL function, which costs some microseconds a row.
constexpr const char* kNotifyBody =
    " BEGIN PERFORM pg_notify('cc_ci_work', TG_TABLE_SCHEMA); RETURN NULL; END ";
constexpr const char* kNotifyTrigger =
    "TRIGGER runs_work_notify AFTER INSERT OR UPDATE OF state, cancel_requested ON runs FOR EACH "
    "ROW WHEN (new.state = 'queued'::text OR new.state = 'running'::text AND "
    "new.cancel_requested <> 0) EXECUTE FUNCTION cc_ci_work_notify()";
static_assert(std::string_view(kWorkChannel) == "cc_ci_work", "kNotifyBody names the channel");

// How long a start waits for the lock on `runs` that replacing the trigger takes. Any open
// transaction that wrote to `runs` holds a lock that conflicts with it (a worker stopped
// mid-statement holds it until the server ends its session), and every later statement on
// `runs` queues behind the waiting replacement: a long wait would stall the whole fleet.
constexpr const char* kTriggerLockWait = "2s";

}  // namespace

Result<bool> WorkNotifyInstalled(SqlDb& db) {
  auto q = db.Prepare(
      "SELECT p.prosrc, pg_get_triggerdef(t.oid, true) FROM pg_trigger t "
      "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
      "WHERE t.tgname = 'runs_work_notify' AND c.relname = 'runs' AND "
      "c.relnamespace = to_regnamespace(current_schema()) AND p.pronamespace = c.relnamespace");
  if (!q.ok()) return q.status();
  auto row = (*q)->Step();
  if (!row.ok()) return row.status();
  return *row && (*q)->Text(0) == kNotifyBody &&
         (*q)->Text(1) == std::string("CREATE ") + kNotifyTrigger;
}

Status InstallWorkNotify(SqlDb& db) {
  // Catalog reads only: a start that finds it in place takes no lock on `runs`.
  Result<bool> installed = WorkNotifyInstalled(db);
  if (!installed.ok()) {
    return Status(installed.status().code(),
                  "checking the work notification: " + installed.status().message());
  }
  if (*installed) return Status::Ok();
  // Under the migrations' lock: workers starting at once would otherwise race on the catalog.
  CCCI_RETURN_IF_ERROR(db.Exec("BEGIN; SELECT pg_advisory_xact_lock(7260130)"));
  Status locked = db.Exec(std::string("SET LOCAL lock_timeout = '") + kTriggerLockWait +
                          "'; LOCK TABLE runs IN SHARE ROW EXCLUSIVE MODE");
  if (!locked.ok()) {
    // Busy: workers find new work by polling alone until a later start installs it.
    (void)db.Exec("ROLLBACK");
    if (locked.code() == Code::kUnavailable) return locked;
    LogWarn("store.work_notify_not_installed",
            {{"reason", locked.message()}, {"fallback", "workers poll for work"}});
    return Status::Ok();
  }
  Status s = db.Exec(std::string("CREATE OR REPLACE FUNCTION cc_ci_work_notify() RETURNS trigger "
                                 "LANGUAGE plpgsql AS $$") +
                     kNotifyBody + "$$; CREATE OR REPLACE " + kNotifyTrigger);
  if (!s.ok()) {
    (void)db.Exec("ROLLBACK");
    return Internal("installing the work notification: " + s.message());
  }
  CCCI_RETURN_IF_ERROR(db.Exec("COMMIT"));
  LogInfo("store.work_notify_installed", {});
  return Status::Ok();
}

}  // namespace ccci
