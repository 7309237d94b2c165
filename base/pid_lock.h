#pragma once

#include <memory>
#include <optional>
#include <string>

#include "base/status.h"

namespace ccci {

// A one-at-a-time lock: flock(LOCK_EX|LOCK_NB) on a file that holds the owner's pid,
// released when the object dies or the process exits (so a crash never leaves it stale).
// The supervisor's watchdog.lock keeps to one watchdog, upgrade.lock to one upgrade job;
// cc-ci serve's <data dir>/cc-ci.lock to one server per data dir.
class PidLock {
 public:
  // FailedPrecondition("another <what> is running (pid N)") when someone holds it.
  static Result<std::unique_ptr<PidLock>> Acquire(const std::string& path,
                                                  const std::string& what = "watchdog");
  // The pid of the process holding the lock, or nullopt when none holds it.
  static std::optional<int> Holder(const std::string& path);
  ~PidLock();
  PidLock(const PidLock&) = delete;
  PidLock& operator=(const PidLock&) = delete;

 private:
  explicit PidLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace ccci
