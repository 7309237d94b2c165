#pragma once
// How a worker learns that there may be work for it without polling the store in a tight
// loop: a queued run appeared (a webhook, a retest, a requeue, a reaped lease) or a run was
// asked to stop (a newer push, `!cc-ci cancel`, the PR closed). With PostgreSQL a trigger on
// `runs` sends NOTIFY on the channel kWorkChannel (payload: the table's schema, so stores in
// other schemas of the same database do not wake each other) when a row becomes queued or has
// its cancel requested, and the signal LISTENs on a connection of its own (libpq's socket,
// polled). With
// SQLite (one process: the intake kicks the scheduler directly) it only times out. Either way
// the caller keeps polling at its interval too: a notification only makes the next look
// prompt; a lost one (the connection dropped) costs at most one interval.

#include <chrono>
#include <memory>
#include <string>

#include "base/status.h"
#include "bot/store/sql_db.h"

namespace ccci {

inline constexpr const char* kWorkChannel = "cc_ci_work";

class WorkSignal {
 public:
  virtual ~WorkSignal() = default;
  // Waits up to `timeout` for a notification (every one pending is consumed). True when one
  // came, false on timeout, on Interrupt(), or while the connection is down (then it waits
  // out the timeout and reconnects on the next call).
  virtual bool WaitForWork(std::chrono::milliseconds timeout) = 0;
  // Ends a WaitForWork in progress (and the next one, if none is): for a clean stop.
  virtual void Interrupt() = 0;
};

// driver "postgres": LISTEN on `url`; anything else: a signal that only times out.
std::unique_ptr<WorkSignal> OpenWorkSignal(const std::string& driver, const std::string& url);

// The trigger that sends the notifications (PostgreSQL only; idempotent). Called by the store
// after its migrations. A start that finds it as this build writes it changes nothing and
// takes no lock. Replacing it locks `runs` against every open transaction that wrote to it (a
// worker stopped mid-statement holds one until the server ends its session); a start waits
// for that at most a moment, then logs store.work_notify_not_installed and goes on: workers
// then find work by polling alone until a later start installs it.
Status InstallWorkNotify(SqlDb& db);
// Whether this schema's `runs` has the trigger as this build writes it (catalog reads only).
Result<bool> WorkNotifyInstalled(SqlDb& db);

}  // namespace ccci
