// `cc-ci-supervisor upgrade [--recipe NAME ...]`.

#include <iostream>
#include <random>
#include <thread>

#include "base/clock.h"
#include "base/log.h"
#include "supervisor/cli_common.h"
#include "supervisor/process_launcher.h"
#include "supervisor/upgrade_job.h"

namespace ccci::supervisor::cli {
namespace {

constexpr const char kUpgradeHelp[] =
    R"(usage: cc-ci-supervisor [--repo DIR] [--config FILE] upgrade [--recipe NAME ...]

Runs one agent job in the foreground -- e.g. upgrade recipes to new upstream releases and
open PRs, as prompts/upgrader.md says -- streams its output to stdout (claude's stream-json
summarised to one line per event; the raw lines go to <state>/logs/upgrade.log), waits for
it, and exits with its result. Supervisor events (launch, heal, rate limit) go to stderr.

  --recipe NAME   a recipe to upgrade; repeat for several. Without any, the job covers every
                  recipe the prompt makes it responsible for.

Backend and model: UPGRADER_BACKEND / UPGRADER_MODEL (or upgrader_backend / upgrader_model
in the INI file), except that LOOP_BACKEND / LOOP_MODEL, when set, take precedence; what
neither names is the loops' setting.

Handled like a loop's session: the agent runs in its own process group with a cleaned
environment; silent for stall_after -> killed and resumed; alive result_grace after its
result -> killed; a rate limit -> waits until its reset, then resumes. Unlike a loop, a
crash is not retried: it is the job's result. upgrade_timeout (default 4h) bounds it all.
Only one upgrade runs per state directory: a second one is refused.

exit status:
  0    the agent finished with a successful result
  1    the agent failed (crash, error result, missing prompt, cannot start)
  2    usage or configuration error
  3    another upgrade is running (its pid is printed)
  124  upgrade_timeout passed; the agent's process group was stopped
  130  interrupted (SIGINT / SIGTERM); the agent's process group was stopped
)";

}  // namespace

int CmdUpgrade(const Context& ctx, const std::vector<std::string>& rest) {
  UpgradeRequest request;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == "--help" || rest[i] == "-h") {
      std::cout << kUpgradeHelp;
      return kUpgradeOk;
    }
    if (rest[i] == "--recipe" && i + 1 < rest.size() && !rest[i + 1].empty()) {
      request.recipes.push_back(rest[++i]);
      continue;
    }
    std::cerr << "upgrade: unexpected argument " << rest[i] << "\n" << kUpgradeHelp;
    return kUpgradeUsage;
  }
  SupervisorConfig config = UpgraderConfig(ctx.config, ctx.env);
  if (Status s = config.Validate(); !s.ok()) {
    std::cerr << "cc-ci-supervisor upgrade: " << s.ToString() << "\n";
    return kUpgradeUsage;
  }
  StateStore store(config.state_dir);
  if (Status s = store.Init(); !s.ok()) {
    std::cerr << "cc-ci-supervisor upgrade: " << s.ToString() << "\n";
    return kUpgradeFailed;
  }
  Result<std::unique_ptr<PidLock>> lock = PidLock::Acquire(store.UpgradeLockPath(), "upgrade");
  if (!lock.ok()) {
    std::cerr << "cc-ci-supervisor upgrade: refused: " << lock.status().message()
              << "; only one upgrade runs at a time (see `cc-ci-supervisor status`)\n";
    return kUpgradeBusy;
  }
  InstallStopHandlers();
  std::cerr << "upgrade: backend " << BackendName(config.backend) << ", model " << config.model
            << ", recipes: ";
  for (size_t i = 0; i < request.recipes.size(); ++i) {
    std::cerr << (i ? ", " : "") << request.recipes[i];
  }
  std::cerr << (request.recipes.empty() ? "all" : "") << "; raw log " << store.LogPath(kUpgrade)
            << "\n";

  std::mt19937_64 gen(std::random_device{}());
  std::uniform_real_distribution<double> dist(0.0, 1.0);
  PosixProcessLauncher launcher;
  AgentContext agent_ctx;
  agent_ctx.config = &config;
  agent_ctx.clock = RealClock();
  agent_ctx.launcher = &launcher;
  agent_ctx.store = &store;
  agent_ctx.rng = [&] { return dist(gen); };
  agent_ctx.env = ctx.env;
  UpgradeJob job(&agent_ctx, request, [](const std::string& line) {
    std::cout << line << "\n";
    std::cout.flush();
  });
  int code = job.Run(g_stop, [](std::chrono::milliseconds d) {
    auto until = std::chrono::steady_clock::now() + d;
    while (!g_stop.load() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  const LoopState& s = job.state();
  std::cerr << "upgrade: " << LoopPhaseName(s.phase) << " (exit " << code << ")"
            << (s.last_reason.empty() || s.last_reason == "finished" ? "" : ": " + s.last_reason)
            << "\n";
  return code;
}

}  // namespace ccci::supervisor::cli
