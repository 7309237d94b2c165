#pragma once
// The supervising state machine. Each Tick() looks at every loop once and decides, from the
// injected Clock and what the ProcessLauncher and RepoProbe report, whether to launch,
// keep, heal, back off from, or give up on its agent session. Nothing here sleeps: Run()
// calls Tick() every config.tick through an injected sleeper, tests call Tick() directly.
//
// Per loop (builder, reviewer), while its .want says "run":
//   stopped      -> launch a session (resuming the last claude session if it was cut short)
//   running      -> read new output; then, in this order:
//                   exited: printed a successful `result` (opencode: exit status 0)
//                     -> next iteration (fresh session,
//                     at most one per backoff_initial); a blocking rate_limit_event was seen
//                     -> rate_limited until its resetsAt (clamped), not a crash;
//                     otherwise a crash -> backoff (initial*2^n, +-jitter, capped at
//                     backoff_max; a run longer than stable_after resets it), or fatal after
//                     fatal_crashes fast crashes within fatal_window
//                   blocking rate_limit_event -> kill the group, rate_limited
//                   result printed but alive after result_grace -> kill, treat as exited
//                   no output for stall_after -> kill, resume (a heal)
//                   no commit / JOURNAL.md change for no_progress_after -> kill, resume
//   backoff / rate_limited -> launch (resuming) once wait_until has passed
//   fatal        -> nothing, until a new `start` (a new .want generation)
// A loop whose .want says "stop" has its group stopped. Every progress_every the plan is
// read from the main branch; when every phase carries `## DONE`, all loops are stopped and
// Tick() returns kAllDone.
//
// Thread-compatible: one thread drives it.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "supervisor/config.h"
#include "supervisor/loop_state.h"
#include "supervisor/process_launcher.h"
#include "supervisor/repo_probe.h"
#include "supervisor/rotating_log.h"
#include "supervisor/state_store.h"

namespace ccci::supervisor {

// The loops the supervisor runs, in display order.
const std::vector<std::string>& LoopNames();

class Watchdog {
 public:
  enum class Outcome { kContinue, kAllDone };

  // All pointers must outlive the Watchdog. `rng` returns uniform values in [0, 1) and
  // drives the backoff jitter. `env` is the environment agents start from (then cleaned).
  Watchdog(const SupervisorConfig& config, Clock* clock, ProcessLauncher* launcher, RepoProbe* repo,
           const StateStore* store, std::function<double()> rng,
           std::map<std::string, std::string> env);

  // Loads each loop's saved state. A recorded agent that is still alive (same pid and start
  // time) is re-adopted and its output read on from the saved offset; one that is gone has
  // any leftovers of its process group stopped and is relaunched (resuming) on the next tick.
  void Recover();

  Outcome Tick();

  // Recover(), then Tick() every config.tick via `sleep` until the plan is done (returns 0)
  // or `stop` becomes true (returns 0, leaving the agents running to be re-adopted).
  int Run(const std::atomic<bool>& stop, const std::function<void(Seconds)>& sleep);

  // REQUIRES: name is one of LoopNames().
  const LoopState& loop(const std::string& name) const { return loops_.at(name); }
  const WatchdogInfo& info() const { return info_; }

 private:
  void CheckRepo(int64_t now);
  void TickLoop(LoopState& s, int64_t now);
  void Supervise(LoopState& s, int64_t now);
  void Consume(LoopState& s, const std::vector<std::string>& lines, int64_t now);
  void Launch(LoopState& s, int64_t now);
  void OnExit(LoopState& s, int64_t now, bool clean);
  void RecordCrash(LoopState& s, int64_t now, const std::string& reason);
  void Heal(LoopState& s, int64_t now, const std::string& reason);
  void StopAgent(LoopState& s);
  void Save(const LoopState& s);
  RotatingLog& LoopLog(const std::string& name);

  const SupervisorConfig& config_;
  Clock* clock_;
  ProcessLauncher* launcher_;
  RepoProbe* repo_;
  const StateStore* store_;
  std::function<double()> rng_;
  std::map<std::string, std::string> env_;

  std::map<std::string, LoopState> loops_;
  std::map<std::string, std::string> saved_json_;
  std::map<std::string, std::unique_ptr<RotatingLog>> logs_;
  WatchdogInfo info_;
  bool all_done_ = false;
  int64_t last_repo_check_ms_ = -1;
  int64_t last_progress_ms_ = 0;
  std::string progress_stamp_;
};

}  // namespace ccci::supervisor
