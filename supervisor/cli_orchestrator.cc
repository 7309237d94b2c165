// `cc-ci-supervisor orchestrator start|stop|status|attach-info`.

#include <iostream>

#include "base/clock.h"
#include "supervisor/cli_common.h"
#include "supervisor/watchdog.h"

namespace ccci::supervisor::cli {
namespace {

constexpr const char kOrchestratorUsage[] =
    R"(usage: cc-ci-supervisor [--repo DIR] [--config FILE] orchestrator COMMAND

The orchestrator is one long-lived agent session that steers the Builder and Reviewer
loops. The watchdog runs and heals it like a loop: dead -> restarted with backoff (fatal
after fatal_crashes fast crashes); silent for orchestrator_stall_after -> killed and
resumed; a finished turn -> resumed after orchestrator_interval. It is stopped with the
loops when the plan is DONE. Its prompt is prompts/orchestrator.md.

commands:
  start          want it running; starts a detached watchdog if none runs
  stop           stop it (SIGTERM to its process group, stop_grace, SIGKILL); the loops
                 and the watchdog keep running
  status [--json]
                 its state, pid, session, last output, and why it last (re)started
  attach-info    how to look at or talk to the running conversation yourself

backends:
  claude     the session id (from the stream's init line) is kept in
             <state>/orchestrator.json, so every start after the first -- after a crash, a
             stop, a restart of the supervisor or of the machine -- is
             `claude -p NOTE --resume <id>` and continues the same conversation. If claude
             no longer knows the id ("No conversation found"), a fresh session starts at
             once with the startup prompt; status and the watchdog log say so.
  opencode   no resume: every start is `opencode run --attach URL --title T` with the
             startup prompt, which tells the new session to read JOURNAL.md first.
The startup prompt tells the session to read JOURNAL.md first and to append its summary
there, in the format the file's header documents, when it hands over.
)";

int AttachInfo(const Context& ctx) {
  StateStore store(ctx.config.state_dir);
  Result<LoopState> r = store.LoadLoop(kOrchestrator);
  LoopState s = r.ok() ? *r : LoopState{};
  const std::string& repo = ctx.config.repo;
  std::cout << "orchestrator: " << LoopPhaseName(s.phase);
  if (s.agent.pid) std::cout << " (pid " << s.agent.pid << ")";
  std::cout << ", backend " << BackendName(ctx.config.backend) << ", model " << ctx.config.model
            << "\n";
  std::cout << "live output:  cc-ci-supervisor --repo '" << repo << "' logs orchestrator -f\n";
  if (ctx.config.backend == Backend::kOpencode) {
    std::cout << "opencode server: " << ctx.config.opencode_url << "\n";
    if (s.iteration > 0) {
      std::cout << "current session title: \"cc-ci orchestrator #" << s.iteration << "\"\n";
    }
    std::cout << "to watch or talk to it, attach a terminal UI to the server and pick that "
                 "session:\n  opencode attach "
              << ctx.config.opencode_url << " --dir '" << repo << "'\n"
              << "(every start is a new session, so a later start gets a new title)\n";
    return 0;
  }
  if (s.session_id.empty()) {
    std::cout << "no claude session id yet: the orchestrator has not printed its init line "
                 "(is it wanted and running? see `orchestrator status`)\n";
    return 0;
  }
  std::cout << "claude session: " << s.session_id << "\n";
  if (!s.session_note.empty()) std::cout << "note: " << s.session_note << "\n";
  std::cout << "claude keeps conversations per working directory: run these from the repo.\n"
            << "to read along without disturbing it (a copy; the supervised one goes on):\n"
            << "  cd '" << repo << "' && claude --resume " << s.session_id << " --fork-session\n"
            << "to take it over (the watchdog resumes this same conversation afterwards, your "
               "turns included):\n"
            << "  cc-ci-supervisor --repo '" << repo << "' orchestrator stop\n"
            << "  cd '" << repo << "' && claude --resume " << s.session_id << "\n"
            << "  cc-ci-supervisor --repo '" << repo << "' orchestrator start\n";
  return 0;
}

}  // namespace

int CmdOrchestrator(const Context& ctx, const std::vector<std::string>& rest) {
  for (const std::string& a : rest) {
    if (a == "--help" || a == "-h" || a == "help") {
      std::cout << kOrchestratorUsage;
      return 0;
    }
  }
  if (rest.empty()) {
    std::cerr << kOrchestratorUsage;
    return 2;
  }
  const std::string& sub = rest[0];
  bool json = rest.size() == 2 && rest[1] == "--json";
  if ((rest.size() > 1 && !(sub == "status" && json))) {
    std::cerr << "orchestrator " << sub << ": unexpected argument " << rest.back() << "\n";
    return 2;
  }
  if (sub == "start") return StartAgents(ctx, {kOrchestrator});
  if (sub == "stop") return StopAgents(ctx, {kOrchestrator}, false);
  if (sub == "attach-info") return AttachInfo(ctx);
  if (sub == "status") {
    StateStore store(ctx.config.state_dir);
    int64_t now = RealClock()->NowUnixMillis();
    std::optional<int> holder = PidLock::Holder(store.LockPath());
    if (json) {
      rapidjson::StringBuffer buf;
      JsonWriter w(buf);
      w.StartObject();
      w.Key("watchdog_running");
      w.Bool(holder.has_value());
      w.Key("backend");
      w.String(BackendName(ctx.config.backend));
      w.Key("orchestrator");
      WriteAgentJson(w, store, kOrchestrator, now);
      w.EndObject();
      std::cout << buf.GetString() << "\n";
      return 0;
    }
    std::cout << "watchdog: "
              << (holder ? "running (pid " + std::to_string(*holder) + ")" : "not running") << "\n";
    PrintAgentStatus(std::cout, store, kOrchestrator, now);
    return 0;
  }
  std::cerr << "orchestrator: unknown command " << sub << "\n" << kOrchestratorUsage;
  return 2;
}

}  // namespace ccci::supervisor::cli
