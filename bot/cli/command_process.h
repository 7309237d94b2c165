#pragma once
// What the long-running commands (`serve`, `worker`) do to their process before they start
// any thread: a private data dir that only one cc-ci process uses, and the stop signals.

#include <signal.h>

#include <memory>
#include <string>

#include "base/pid_lock.h"
#include "base/status.h"

namespace ccci {

// Restricts the umask (nothing cc-ci or its children create is for other users), creates the
// data dir and takes its lock: one cc-ci process per data dir (two would run two runners on
// the same work dirs). The lock is held until the returned object is destroyed. The message of
// a failure is what to print.
Result<std::unique_ptr<PidLock>> ClaimDataDir(const std::string& data_dir);

// Blocks SIGINT and SIGTERM (every thread started after inherits the mask, so only
// WaitForStopSignal sees them) and ignores SIGPIPE.
sigset_t BlockStopSignals();

// Waits for SIGINT or SIGTERM; returns its name.
std::string WaitForStopSignal(const sigset_t& signals);

}  // namespace ccci
