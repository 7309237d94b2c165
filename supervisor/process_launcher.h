#pragma once
// The seam between the watchdog and real processes. An agent runs as the leader of its own
// session and process group (setsid), with stdin from /dev/null and stdout+stderr appended
// to a per-loop output file. Output goes to a file, not a pipe, so an agent outlives a
// restart of the supervisor and can be re-adopted: the new watchdog finds it by pid, checks
// the process start time (so a recycled pid is not mistaken for it) and keeps reading the
// file from the recorded offset.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "supervisor/backend.h"
#include "supervisor/config.h"

namespace ccci::supervisor {

struct AgentHandle {
  int pid = 0;               // also the process group id
  uint64_t start_ticks = 0;  // /proc/<pid>/stat starttime; 0 = unknown
  std::string boot_id;       // the machine boot it was started in; "" = unknown
  std::string output_path;
  int64_t offset = 0;  // bytes of output already consumed
};

struct PollResult {
  bool running = false;
  // Known only for processes this launcher started itself (128+N for a signal).
  std::optional<int> exit_code;
};

class ProcessLauncher {
 public:
  virtual ~ProcessLauncher() = default;
  // Starts `cmd` in a new process group, output truncated into `output_path`.
  virtual Result<AgentHandle> Launch(const AgentCommand& cmd, const std::string& output_path) = 0;
  // True when the recorded process is still alive and is the same process (start time,
  // and the same boot: after a reboot its pid and group number may belong to anyone).
  virtual bool Adopt(const AgentHandle& h) = 0;
  // False when `h` was started before the machine last booted: nothing of it can be left,
  // and its group number must not be signalled.
  virtual bool FromThisBoot(const AgentHandle&) { return true; }
  virtual PollResult Poll(AgentHandle& h) = 0;
  // Complete new lines since h.offset (advancing it); with `flush`, also a final partial line.
  virtual std::vector<std::string> ReadLines(AgentHandle& h, bool flush) = 0;
  // SIGTERM to the whole group, wait up to `grace`, then SIGKILL; returns when no live
  // member of the group is left (or after a further bounded wait). Does nothing for a
  // handle from an earlier boot.
  virtual void StopGroup(const AgentHandle& h, Seconds grace) = 0;
};

class PosixProcessLauncher : public ProcessLauncher {
 public:
  Result<AgentHandle> Launch(const AgentCommand& cmd, const std::string& output_path) override;
  bool Adopt(const AgentHandle& h) override;
  PollResult Poll(AgentHandle& h) override;
  std::vector<std::string> ReadLines(AgentHandle& h, bool flush) override;
  void StopGroup(const AgentHandle& h, Seconds grace) override;
  bool FromThisBoot(const AgentHandle& h) override;
};

// /proc/sys/kernel/random/boot_id, read once; "" when unreadable.
const std::string& CurrentBootId();

// /proc/<pid>/stat starttime, or nullopt when the process does not exist or is a zombie.
std::optional<uint64_t> ProcessStartTicks(int pid);
// Pids of the live (non-zombie) processes whose process group is `pgid`.
std::vector<int> LiveGroupMembers(int pgid);

}  // namespace ccci::supervisor
