#pragma once
// The supervisor's state directory (default <repo>/.cc-ci-supervisor/):
//   watchdog.lock       flock held by the one running watchdog; holds its pid
//   watchdog.json       plan progress as last seen by the watchdog
//   upgrade.lock        flock held by the one running `upgrade`; holds its pid
//   <name>.json         LoopState of builder, reviewer, orchestrator, upgrade; atomic writes
//   <name>.want         "run N" / "stop N", written by the CLI, read by the watchdog; N grows
//                       with every `start`, so a fatal loop is retried once per `start`
//   <name>.out          the running agent's raw stdout+stderr (replaced per session)
//   remote-main.git/    bare cache the remote's main is fetched into (with remote_url)
//   logs/<name>.log     timestamped agent output, rotated by size (logs/<name>.log.1 ...)
//   logs/watchdog.log   the watchdog's own logfmt events, rotated by size

#include <memory>
#include <optional>
#include <string>

#include "base/pid_lock.h"
#include "base/status.h"
#include "base/whole_file.h"  // WriteFileAtomically
#include "supervisor/loop_state.h"

namespace ccci::supervisor {

Result<std::string> ReadWholeFile(const std::string& path);

struct Want {
  bool run = false;
  int generation = 0;
};

struct WatchdogInfo {
  int pid = 0;
  std::string phase_file;  // current phase; empty when none
  int phase_index = 0;     // 1-based
  int phase_count = 0;
  bool all_done = false;
  int64_t checked_at_ms = 0;  // last successful plan check
  std::string last_commit;    // "<sha> <subject>"
  std::string plan_source;    // where the plan is read ("local main", "<remote url> main")
  int check_failures = 0;     // failed plan checks since the last successful one
  std::string check_error;    // why the last one failed; "" after a success
  int64_t next_check_ms = 0;  // when the plan is read next
};

class StateStore {
 public:
  explicit StateStore(std::string dir) : dir_(std::move(dir)) {}
  // Creates the directory and logs/ if missing.
  Status Init() const;
  const std::string& dir() const { return dir_; }
  std::string LoopPath(const std::string& loop) const { return dir_ + "/" + loop + ".json"; }
  std::string OutputPath(const std::string& loop) const { return dir_ + "/" + loop + ".out"; }
  std::string LogPath(const std::string& name) const { return dir_ + "/logs/" + name + ".log"; }
  std::string LockPath() const { return dir_ + "/watchdog.lock"; }
  std::string UpgradeLockPath() const { return dir_ + "/upgrade.lock"; }
  std::string RemoteCachePath() const { return dir_ + "/remote-main.git"; }

  Status SaveLoop(const LoopState& s) const;
  // NotFound when the loop has never been saved.
  Result<LoopState> LoadLoop(const std::string& loop) const;
  Want ReadWant(const std::string& loop) const;
  Status WriteWant(const std::string& loop, bool run) const;  // bumps the generation
  Status SaveWatchdog(const WatchdogInfo& info) const;
  WatchdogInfo LoadWatchdog() const;

 private:
  std::string dir_;
};

using WatchdogLock = PidLock;

}  // namespace ccci::supervisor
