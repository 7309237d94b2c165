#pragma once
// The supervising state machine. Each Tick() looks at every agent once (the Builder and
// Reviewer loops and the orchestrator session) and lets its AgentSupervisor decide, from the
// injected Clock and what the ProcessLauncher and RepoProbe report, whether to launch, keep,
// heal, back off from, or give up on its session (see agent_supervisor.h for the rules).
// Nothing here sleeps: Run() calls Tick() every config.tick through an injected sleeper,
// tests call Tick() directly.
//
// An agent runs while its .want says "run"; "stop" has its group stopped; a new `start`
// (a new .want generation) clears `fatal`. Every progress_every the progress stamp (HEAD,
// JOURNAL.md) and the plan are read, the plan from the main branch (the local one, or the
// remote's through RemoteRepoProbe). A failing plan read is never taken for DONE and never
// ends the checking: it is logged, counted in WatchdogInfo, and retried at the next check,
// while the agents carry on. When every phase carries `## DONE`, all agents are stopped and
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
#include "supervisor/agent_supervisor.h"
#include "supervisor/config.h"
#include "supervisor/loop_state.h"
#include "supervisor/process_launcher.h"
#include "supervisor/repo_probe.h"
#include "supervisor/rotating_log.h"
#include "supervisor/state_store.h"

namespace ccci::supervisor {

// The loops the supervisor runs, in display order.
const std::vector<std::string>& LoopNames();
// Every agent the watchdog supervises: the loops, then the orchestrator.
const std::vector<std::string>& AgentNames();
inline constexpr char kOrchestrator[] = "orchestrator";

class Watchdog {
 public:
  enum class Outcome { kContinue, kAllDone };

  // All pointers must outlive the Watchdog. `rng` returns uniform values in [0, 1) and
  // drives the backoff jitter. `env` is the environment agents start from (then cleaned).
  Watchdog(const SupervisorConfig& config, Clock* clock, ProcessLauncher* launcher, RepoProbe* repo,
           const StateStore* store, std::function<double()> rng,
           std::map<std::string, std::string> env);

  // Loads each agent's saved state. A recorded agent that is still alive (same pid, start
  // time and boot) is re-adopted and its output read on from the saved offset; one that is
  // gone has any leftovers of its process group stopped and is relaunched (resuming) on the
  // next tick.
  void Recover();

  Outcome Tick();

  // Recover(), then Tick() every config.tick via `sleep` until the plan is done (returns 0)
  // or `stop` becomes true (returns 0, leaving the agents running to be re-adopted).
  int Run(const std::atomic<bool>& stop, const std::function<void(Seconds)>& sleep);

  // REQUIRES: name is one of AgentNames().
  const LoopState& loop(const std::string& name) const { return agents_.at(name)->state(); }
  const WatchdogInfo& info() const { return info_; }

 private:
  void CheckRepo(int64_t now);
  void CheckPlan(int64_t now);
  void TickAgent(AgentSupervisor& agent, int64_t now);
  Result<std::string> LoopPrompt(const std::string& loop, const SessionStart& start);
  Result<std::string> OrchestratorPrompt(const SessionStart& start);

  const SupervisorConfig& config_;
  Clock* clock_;
  RepoProbe* repo_;
  const StateStore* store_;
  AgentContext ctx_;

  std::map<std::string, std::unique_ptr<AgentSupervisor>> agents_;
  WatchdogInfo info_;
  bool all_done_ = false;
  int64_t last_repo_check_ms_ = -1;
  int64_t last_progress_ms_ = 0;
  std::string progress_stamp_;
};

}  // namespace ccci::supervisor
