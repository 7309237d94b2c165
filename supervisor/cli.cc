#include "supervisor/cli.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include "base/log.h"
#include "supervisor/cli_common.h"
#include "supervisor/config.h"
#include "supervisor/journal.h"
#include "supervisor/process_launcher.h"
#include "supervisor/repo_probe.h"
#include "supervisor/rotating_log.h"
#include "supervisor/state_store.h"
#include "supervisor/upgrade_job.h"
#include "supervisor/watchdog.h"

namespace ccci::supervisor {
namespace cli {

std::atomic<bool> g_stop{false};

namespace {
void OnSignal(int) { g_stop.store(true); }
}  // namespace

void InstallStopHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

std::string Age(int64_t ms) {
  if (ms < 0) ms = 0;
  int64_t s = ms / 1000;
  char buf[64];
  if (s < 120) {
    snprintf(buf, sizeof(buf), "%llds", static_cast<long long>(s));
  } else if (s < 7200) {
    snprintf(buf, sizeof(buf), "%lldm%02llds", static_cast<long long>(s / 60),
             static_cast<long long>(s % 60));
  } else {
    snprintf(buf, sizeof(buf), "%lldh%02lldm", static_cast<long long>(s / 3600),
             static_cast<long long>((s / 60) % 60));
  }
  return buf;
}

namespace {

// Starts `<self> --repo R [--config C] watchdog` in its own session, detached from us.
Result<int> SpawnWatchdog(const Context& ctx, const StateStore& store) {
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return Internal("cannot find own executable");
  self[n] = '\0';
  std::vector<std::string> args = {self, "--repo", ctx.config.repo};
  if (!ctx.config_path.empty()) {
    args.push_back("--config");
    args.push_back(ctx.config_path);
  }
  args.push_back("watchdog");
  args.push_back("--no-stderr");  // its log file has every line already
  AgentCommand cmd;
  cmd.argv = args;
  cmd.env = ctx.env;
  cmd.cwd = ctx.config.repo;
  PosixProcessLauncher launcher;
  Result<AgentHandle> h = launcher.Launch(cmd, store.dir() + "/logs/watchdog.stderr");
  if (!h.ok()) return h.status();
  return h->pid;
}

}  // namespace

int StartAgents(const Context& ctx, const std::vector<std::string>& names) {
  StateStore store(ctx.config.state_dir);
  if (Status s = store.Init(); !s.ok()) {
    std::cerr << s.ToString() << "\n";
    return 1;
  }
  for (const std::string& name : names) {
    if (Status s = store.WriteWant(name, true); !s.ok()) {
      std::cerr << s.ToString() << "\n";
      return 1;
    }
    std::cout << "wanted: " << name << "\n";
  }
  std::optional<int> holder = PidLock::Holder(store.LockPath());
  if (holder) {
    std::cout << "watchdog already running (pid " << *holder << ")\n";
    return 0;
  }
  Result<int> pid = SpawnWatchdog(ctx, store);
  if (!pid.ok()) {
    std::cerr << "cannot start watchdog: " << pid.status().ToString() << "\n";
    return 1;
  }
  std::cout << "watchdog started (pid " << *pid << ")\n";
  return 0;
}

int StopAgents(const Context& ctx, const std::vector<std::string>& names, bool end_watchdog) {
  StateStore store(ctx.config.state_dir);
  if (Status s = store.Init(); !s.ok()) {
    std::cerr << s.ToString() << "\n";
    return 1;
  }
  for (const std::string& name : names) {
    if (Status s = store.WriteWant(name, false); !s.ok()) {
      std::cerr << s.ToString() << "\n";
      return 1;
    }
  }
  std::optional<int> holder = PidLock::Holder(store.LockPath());
  auto deadline = std::chrono::steady_clock::now() + ctx.config.stop_grace + ctx.config.tick * 2 +
                  std::chrono::seconds(10);
  bool all_stopped = false;
  while (holder && std::chrono::steady_clock::now() < deadline) {
    all_stopped = true;
    for (const std::string& name : names) {
      Result<LoopState> s = store.LoadLoop(name);
      if (s.ok() && s->agent.pid != 0) all_stopped = false;
    }
    if (all_stopped) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!all_stopped) {
    // No watchdog (or it did not react): stop the recorded groups ourselves.
    PosixProcessLauncher launcher;
    for (const std::string& name : names) {
      Result<LoopState> s = store.LoadLoop(name);
      if (!s.ok() || s->agent.pid == 0) continue;
      launcher.StopGroup(s->agent, ctx.config.stop_grace);
      if (holder) continue;  // the watchdog owns the state file
      s->agent = AgentHandle{};
      s->phase = LoopPhase::kStopped;
      s->last_reason = "stopped by operator";
      if (Status saved = store.SaveLoop(*s); !saved.ok()) {
        // The group is stopped either way; only the state file is stale, and the operator
        // is told so.
        std::cerr << "cc-ci-supervisor: " << name
                  << ": could not record the stop: " << saved.message() << "\n";
      }
    }
  }
  for (const std::string& name : names) std::cout << "stopped: " << name << "\n";
  if (end_watchdog && holder && *holder > 0) {
    kill(*holder, SIGTERM);
    std::cout << "watchdog (pid " << *holder << ") asked to exit\n";
  }
  return 0;
}

namespace {

constexpr const char kUsage[] =
    R"(usage: cc-ci-supervisor [--repo DIR] [--config FILE] COMMAND

Runs and watches cc-ci's Builder and Reviewer agent loops, the orchestrator session that
steers them, and one-shot upgrade jobs.

commands:
  start [builder|reviewer]   mark the loop(s) wanted and start a detached watchdog if none
                             runs (the watchdog launches and supervises the agents)
  stop [builder|reviewer]    stop the loop(s): SIGTERM to the agent's process group, wait
                             stop_grace, SIGKILL; without a loop also stops the orchestrator
                             and ends the watchdog
  restart                    stop everything, then start both loops (and the orchestrator
                             if it was wanted)
  status [--json]            each loop and the orchestrator, the plan phase and where and
                             when it was last read, last commit, upgrade job, journal entry
  logs [builder|reviewer|orchestrator|upgrade|watchdog] [-f] [-n N]
                             last N (default 40) lines; -f follows, across rotation
  orchestrator start|stop|status [--json]|attach-info
                             the long-lived session that steers the loops (see
                             `cc-ci-supervisor orchestrator --help`)
  upgrade [--recipe NAME ...]
                             run one upgrade agent job in the foreground, stream its
                             output, exit with its result (see `upgrade --help`)
  watchdog [--no-stderr]     run the watchdog in the foreground (for systemd); logs to
                             <state>/logs/watchdog.log and, unless --no-stderr, to stderr;
                             exits 0 when every plan phase carries "## DONE" on the main
                             branch or on SIGTERM, 1 when another watchdog holds the lock

options:
  --repo DIR      the cc-ci work tree (default: the git top level of the current directory)
  --config FILE   INI config (default: <repo>/supervisor.ini when it exists)

environment (wins over the INI file):
  LOOP_BACKEND=claude|opencode   LOOP_MODEL=...   LOOP_OPENCODE_URL=http://host:port
  UPGRADER_BACKEND, UPGRADER_MODEL   for `upgrade`, unless LOOP_BACKEND / LOOP_MODEL are set
  CC_CI_REPO=URL                 read "## DONE" from this git remote's main branch (fetched
                                 on every check) instead of the local repository's
  CC_CI_SUPERVISOR_STATE_DIR=DIR (default <repo>/.cc-ci-supervisor)
  CLAUDE_BIN, OPENCODE_BIN       agent executables (default: claude, opencode on PATH)
See docs/supervisor.md for every INI key and what each status field means.
)";

bool IsLoop(const std::string& name) {
  for (const std::string& n : LoopNames()) {
    if (n == name) return true;
  }
  return false;
}

bool IsAgent(const std::string& name) {
  for (const std::string& n : AgentNames()) {
    if (n == name) return true;
  }
  return false;
}

struct Tail {
  std::string label;
  std::string path;
  off_t offset = 0;
  ino_t inode = 0;
};

void PrintLastLines(const std::string& path, const std::string& prefix, int n) {
  std::ifstream in(path);
  std::deque<std::string> last;
  std::string line;
  while (std::getline(in, line)) {
    last.push_back(line);
    if (static_cast<int>(last.size()) > n) last.pop_front();
  }
  for (const std::string& l : last) std::cout << prefix << l << "\n";
}

// Prints what was appended since the last call; starts over when the file was rotated.
void Follow(Tail& t, const std::string& prefix) {
  struct stat st {};
  if (stat(t.path.c_str(), &st) != 0) return;
  if (st.st_ino != t.inode || st.st_size < t.offset) {
    t.inode = st.st_ino;
    t.offset = 0;
  }
  if (st.st_size == t.offset) return;
  std::ifstream in(t.path);
  in.seekg(t.offset);
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // partial line: wait for the rest
    std::cout << prefix << line << "\n";
    t.offset = in.tellg();
  }
  std::cout.flush();
}

int CmdLogs(const Context& ctx, const std::vector<std::string>& rest) {
  StateStore store(ctx.config.state_dir);
  std::vector<std::string> names;
  bool follow = false;
  int n = 40;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == "-f") {
      follow = true;
    } else if (rest[i] == "-n" && i + 1 < rest.size()) {
      n = std::atoi(rest[++i].c_str());
    } else if (IsAgent(rest[i]) || rest[i] == kUpgrade || rest[i] == "watchdog") {
      names.push_back(rest[i]);
    } else {
      std::cerr << "logs: unknown argument " << rest[i] << "\n";
      return 2;
    }
  }
  if (names.empty()) names = {"builder", "reviewer", kOrchestrator, "watchdog"};
  std::vector<Tail> tails;
  for (const std::string& name : names) {
    Tail t{name, store.LogPath(name)};
    std::string prefix = names.size() > 1 ? "[" + name + "] " : "";
    PrintLastLines(t.path, prefix, n);
    struct stat st {};
    if (stat(t.path.c_str(), &st) == 0) {
      t.offset = st.st_size;
      t.inode = st.st_ino;
    }
    tails.push_back(t);
  }
  if (!follow) return 0;
  InstallStopHandlers();
  while (!g_stop.load()) {
    for (Tail& t : tails) Follow(t, tails.size() > 1 ? "[" + t.label + "] " : "");
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return 0;
}

int CmdWatchdog(const Context& ctx, const std::vector<std::string>& rest) {
  bool echo_stderr = !(rest.size() == 1 && rest[0] == "--no-stderr");
  if (rest.size() > 1 || (!rest.empty() && echo_stderr)) {
    std::cerr << "watchdog: unknown argument " << rest.back() << "\n";
    return 2;
  }
  StateStore store(ctx.config.state_dir);
  if (Status s = store.Init(); !s.ok()) {
    std::cerr << s.ToString() << "\n";
    return 1;
  }
  Result<std::unique_ptr<PidLock>> lock = PidLock::Acquire(store.LockPath(), "watchdog");
  if (!lock.ok()) {
    std::cerr << "cc-ci-supervisor: " << lock.status().message() << "\n";
    return 1;
  }
  auto log = std::make_shared<RotatingLog>(store.LogPath("watchdog"), ctx.config.log_max_bytes,
                                           ctx.config.log_keep);
  SetLogSink([log, echo_stderr](const std::string& line) {
    log->Append(line);
    if (echo_stderr) std::cerr << line << "\n";
  });
  InstallStopHandlers();
  std::mt19937_64 gen(std::random_device{}());
  std::uniform_real_distribution<double> dist(0.0, 1.0);
  PosixProcessLauncher launcher;
  std::unique_ptr<RepoProbe> repo = MakeRepoProbe(ctx.config, store.RemoteCachePath());
  Watchdog wd(
      ctx.config, RealClock(), &launcher, repo.get(), &store, [&] { return dist(gen); }, ctx.env);
  if (Status s = EnsureJournal(ctx.config.repo); !s.ok()) {
    LogWarn("journal.create_failed", {{"reason", s.ToString()}});
  }
  LogInfo("watchdog.started", {{"pid", static_cast<int>(getpid())},
                               {"repo", ctx.config.repo},
                               {"plan_source", repo->PlanSource()},
                               {"backend", BackendName(ctx.config.backend)}});
  int rc = wd.Run(g_stop, [](Seconds d) {
    auto until = std::chrono::steady_clock::now() + d;
    while (!g_stop.load() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  LogInfo("watchdog.exit", {{"reason", g_stop.load() ? "signal" : "plan done"}});
  SetLogSink(nullptr);
  return rc;
}

std::string DefaultRepo() {
  Result<std::string> top = RunAndCapture({"git", "rev-parse", "--show-toplevel"});
  if (top.ok()) {
    std::string s = *top;
    while (!s.empty() && s.back() == '\n') s.pop_back();
    if (!s.empty()) return s;
  }
  char cwd[4096];
  return getcwd(cwd, sizeof(cwd)) ? cwd : ".";
}

}  // namespace
}  // namespace cli

int RunCli(const std::vector<std::string>& args) {
  using namespace cli;  // NOLINT: the CLI's own pieces
  std::string repo;
  std::string config_path;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h" || args[i] == "help") {
      std::cout << kUsage;
      return 0;
    } else if (args[i] == "--repo" && i + 1 < args.size()) {
      repo = args[++i];
    } else if (args[i] == "--config" && i + 1 < args.size()) {
      config_path = args[++i];
    } else {
      break;
    }
  }
  if (i >= args.size()) {
    std::cerr << kUsage;
    return 2;
  }
  std::string command = args[i];
  std::vector<std::string> rest(args.begin() + static_cast<long>(i) + 1, args.end());
  if (repo.empty()) repo = DefaultRepo();
  char real[4096];
  if (realpath(repo.c_str(), real)) repo = real;
  if (config_path.empty() && access((repo + "/supervisor.ini").c_str(), R_OK) == 0) {
    config_path = repo + "/supervisor.ini";
  }
  std::map<std::string, std::string> env = CurrentEnvironment();
  Result<SupervisorConfig> config = LoadConfig(repo, config_path, env);
  if (!config.ok()) {
    std::cerr << "cc-ci-supervisor: " << config.status().ToString() << "\n";
    return 2;
  }
  if (Status s = config->Validate(); !s.ok()) {
    std::cerr << "cc-ci-supervisor: " << s.ToString() << "\n";
    return 2;
  }
  Context ctx{*config, config_path, env};
  bool loop_arg_ok = rest.empty() || IsLoop(rest[0]);
  if (command == "start" || command == "stop") {
    if (!loop_arg_ok || rest.size() > 1) {
      std::cerr << command << ": expected builder or reviewer\n";
      return 2;
    }
    if (command == "start") return StartAgents(ctx, rest.empty() ? LoopNames() : rest);
    return rest.empty() ? StopAgents(ctx, AgentNames(), true) : StopAgents(ctx, rest, false);
  }
  if (command == "restart") {
    StateStore store(ctx.config.state_dir);
    bool orchestrator = store.ReadWant(kOrchestrator).run;
    int rc = StopAgents(ctx, AgentNames(), true);
    if (rc != 0) return rc;
    // The old watchdog releases its lock as it exits; wait for that before starting anew.
    for (int k = 0; k < 200 && PidLock::Holder(store.LockPath()); ++k) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::vector<std::string> names = LoopNames();
    if (orchestrator) names.push_back(kOrchestrator);
    return StartAgents(ctx, names);
  }
  if (command == "status") return CmdStatus(ctx, rest);
  if (command == "logs") return CmdLogs(ctx, rest);
  if (command == "watchdog") return CmdWatchdog(ctx, rest);
  if (command == "orchestrator") return CmdOrchestrator(ctx, rest);
  if (command == "upgrade") return CmdUpgrade(ctx, rest);
  std::cerr << "unknown command: " << command << "\n" << kUsage;
  return 2;
}

}  // namespace ccci::supervisor
