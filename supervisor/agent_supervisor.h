#pragma once
// One supervised agent: launches its sessions, reads their output, and decides from the
// injected Clock and what the ProcessLauncher reports whether to keep, heal, back off from,
// sleep through a rate limit, give up on, or call finished. The Watchdog keeps one for each
// loop and one for the orchestrator; `upgrade` keeps one for its job. Nothing here sleeps.
//
// While running, in this order:
//   exited            -> see the table below (claude: clean = a successful `result` and
//                        exit 0; opencode prints no `result`: clean = exit 0)
//   blocking rate_limit_event -> kill the group; rate_limited until its resetsAt (clamped
//                        to rate_limit_min..max), then resume; never a crash
//   result printed, alive after result_grace -> kill; the result decides clean or not
//   no output for the stall limit -> kill and resume (a heal)
//   loops only: no commit / JOURNAL.md change for no_progress_after -> kill and resume
// When a session ends:
//                 clean exit                          crash
//   loop          next iteration, a fresh session     backoff (initial*2^n +-jitter, capped
//                 (at most one per backoff_initial)   at backoff_max, reset by a run longer
//   orchestrator  pause orchestrator_interval, then   than stable_after), then resume; fatal
//                 resume the same conversation        after fatal_crashes within fatal_window
//   job           finished                            failed
// A claude session resumed with --resume that prints "No conversation found" is no crash:
// the id is dropped and a fresh session starts at once, told through its prompt that the
// journal is its memory; LoopState::session_note and the log say so.
//
// Thread-compatible: one thread drives it.

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "base/clock.h"
#include "supervisor/backend.h"
#include "supervisor/config.h"
#include "supervisor/loop_state.h"
#include "supervisor/process_launcher.h"
#include "supervisor/rotating_log.h"
#include "supervisor/state_store.h"

namespace ccci::supervisor {

enum class Role { kLoop, kOrchestrator, kJob };

// What the AgentSupervisors of one process share. All pointers must outlive them.
struct AgentContext {
  const SupervisorConfig* config = nullptr;
  Clock* clock = nullptr;
  ProcessLauncher* launcher = nullptr;
  const StateStore* store = nullptr;
  std::function<double()> rng;             // uniform in [0, 1): the backoff jitter
  std::map<std::string, std::string> env;  // agents start from this, then it is cleaned
};

class AgentSupervisor {
 public:
  // Makes the prompt of the session about to start. An error (e.g. NotFound for a missing
  // prompt file) fails the launch like a crash, with the error's message as the reason.
  using PromptFn = std::function<Result<std::string>(const SessionStart&)>;

  // `name` names the state, output and log files. REQUIRES: ctx outlives this.
  AgentSupervisor(std::string name, Role role, const AgentContext* ctx, PromptFn prompt);

  // Takes over a saved state. A recorded agent that is still alive (same pid, start time
  // and boot) is re-adopted and read on from the saved offset; one that is gone has what is
  // left of its group stopped and is relaunched, resuming, by the next Tick.
  void Recover(LoopState saved);

  // One step while the agent is wanted. `last_progress_ms`: when the repository last moved
  // (a commit or a JOURNAL.md change), for the loops' no-progress heal.
  void Tick(int64_t now, int64_t last_progress_ms);

  // Stops the agent's process group, if one runs; the conversation is kept for a resume.
  void Stop(const std::string& reason);
  // Ends a job: stops the group and marks it failed with `reason`.
  void Fail(const std::string& reason);
  // The operator asked again: a fatal agent starts over with a clean crash count.
  void ClearFatal();
  // Writes the state to the store when it changed since the last write.
  void Save();

  // Called with every output line as it is read (the upgrade job streams them).
  void set_line_sink(std::function<void(const std::string&)> sink) { sink_ = std::move(sink); }

  const LoopState& state() const { return s_; }
  LoopState& mutable_state() { return s_; }

 private:
  void Supervise(int64_t now, int64_t last_progress_ms);
  void Consume(const std::vector<std::string>& lines, int64_t now);
  void Launch(int64_t now);
  void OnExit(int64_t now, bool clean);
  void RestartFresh(int64_t now);
  void LaunchFailed(int64_t now, const std::string& reason);
  void RecordCrash(int64_t now, const std::string& reason);
  void Heal(int64_t now, const std::string& reason);
  void StopAgent();
  RotatingLog& Log();
  int64_t Ms(Seconds s) const { return static_cast<int64_t>(s.count()) * 1000; }

  Role role_;
  const AgentContext* ctx_;
  const SupervisorConfig& config_;
  PromptFn prompt_;
  LoopState s_;
  std::string lost_session_;  // set between a refused resume and the fresh launch
  std::string auth_failure_;  // what the agent said about its missing login, this session
  std::string saved_json_;
  std::unique_ptr<RotatingLog> log_;
  std::function<void(const std::string&)> sink_;
};

}  // namespace ccci::supervisor
