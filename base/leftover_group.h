#pragma once
// Process groups that must not outlive a crash of their owner. cc-ci runs abra commands and
// the screenshot browser each in a process group of its own (so one signal ends all of it);
// a cc-ci killed without a chance to stop them (SIGKILL, OOM, power) leaves them running.
// RecordGroup writes "<pid> <start time> [extra]" to a file while the group runs; the next
// start calls KillLeftoverGroup on that file. Pid and start time together name one process
// for good, so a reused pid is never killed.

#include <sys/types.h>

#include <string>

namespace ccci {

// Records group leader `pid` (and `extra`, one word without spaces, e.g. a dir to clean up).
void RecordGroup(const std::string& path, pid_t pid, const std::string& extra = "");

// Kills the group recorded in `path` if its leader is still that process, and removes the
// file. True when a group was killed. `extra`, when given, gets what was recorded with it
// (also when nothing was killed: the process is gone either way, or it is another one).
bool KillLeftoverGroup(const std::string& path, std::string* extra = nullptr);

// The process's start time (field 22 of /proc/<pid>/stat); empty when there is none.
std::string ProcessStartTime(pid_t pid);

}  // namespace ccci
