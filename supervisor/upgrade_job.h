#pragma once
// `cc-ci-supervisor upgrade`: one agent job (e.g. upgrade recipes to new upstream releases
// and open PRs) run in the foreground until it ends. It goes through the same
// AgentSupervisor as the loops, with the job role: own process group, clean environment,
// stall heal, post-result kill, rate-limit sleep then resume; the first clean exit is
// success, a crash or a failed launch is failure, and upgrade_timeout bounds the whole job.
// Its state is saved as <state>/upgrade.json so `status` can show it.
//
// One at a time: the caller holds upgrade.lock (PidLock) while Run() runs. An agent that a
// previous, killed `upgrade` left running is stopped before a new one starts.

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "supervisor/agent_supervisor.h"

namespace ccci::supervisor {

inline constexpr char kUpgrade[] = "upgrade";

// Exit codes of `cc-ci-supervisor upgrade`.
enum UpgradeExit : int {
  kUpgradeOk = 0,            // the agent finished with a successful result
  kUpgradeFailed = 1,        // it crashed, reported an error, or could not start
  kUpgradeUsage = 2,         // bad arguments or configuration
  kUpgradeBusy = 3,          // another upgrade is running for this state directory
  kUpgradeTimedOut = 124,    // upgrade_timeout passed; the agent's group was stopped
  kUpgradeInterrupted = 130  // SIGINT / SIGTERM; the agent's group was stopped
};

struct UpgradeRequest {
  std::vector<std::string> recipes;  // empty = every recipe the upgrader is responsible for
};

class UpgradeJob {
 public:
  // `ctx->config` is the upgrader's configuration (UpgraderConfig). `out` receives what the
  // job streams: one readable line per agent output line.
  UpgradeJob(const AgentContext* ctx, UpgradeRequest request,
             std::function<void(const std::string&)> out);

  // Runs the job to its end and returns its UpgradeExit code. `sleep` waits between two
  // looks at the agent (tests advance a fake clock in it); `stop` interrupts the job.
  int Run(const std::atomic<bool>& stop,
          const std::function<void(std::chrono::milliseconds)>& sleep);

  const LoopState& state() const { return agent_.state(); }

  // How often Run() looks at the agent: output is streamed with at most this delay.
  static constexpr std::chrono::milliseconds kPoll{200};

 private:
  void StopLeftover();
  const AgentContext* ctx_;
  UpgradeRequest request_;
  AgentSupervisor agent_;
};

// One readable line for an agent's output line: claude's stream-json lines are summarised
// (assistant text, tool results, the final result), plain text is passed as it is.
std::string UpgradeOutputLine(const std::string& raw);

}  // namespace ccci::supervisor
