#include "supervisor/cli.h"

#include <fcntl.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <deque>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include "base/log.h"
#include "supervisor/config.h"
#include "supervisor/journal.h"
#include "supervisor/process_launcher.h"
#include "supervisor/repo_probe.h"
#include "supervisor/rotating_log.h"
#include "supervisor/state_store.h"
#include "supervisor/watchdog.h"

namespace ccci::supervisor {
namespace {

constexpr const char kUsage[] =
    R"(usage: cc-ci-supervisor [--repo DIR] [--config FILE] COMMAND

Runs and watches cc-ci's Builder and Reviewer agent loops.

commands:
  start [builder|reviewer]   mark the loop(s) wanted and start a detached watchdog if none
                             runs (the watchdog launches and supervises the agents)
  stop [builder|reviewer]    stop the loop(s): SIGTERM to the agent's process group, wait
                             stop_grace, SIGKILL; without a loop also ends the watchdog
  restart                    stop everything, then start both loops
  status [--json]            state of each loop, the plan phase, last commit, journal entry
  logs [builder|reviewer|watchdog] [-f] [-n N]
                             last N (default 40) lines; -f follows, across rotation
  watchdog [--no-stderr]     run the watchdog in the foreground (for systemd); logs to
                             <state>/logs/watchdog.log and, unless --no-stderr, to stderr;
                             exits 0 when every plan phase carries "## DONE" on the main
                             branch or on SIGTERM, 1 when another watchdog holds the lock

options:
  --repo DIR      the cc-ci work tree (default: the git top level of the current directory)
  --config FILE   INI config (default: <repo>/supervisor.ini when it exists)

environment (wins over the INI file):
  LOOP_BACKEND=claude|opencode   LOOP_MODEL=...   LOOP_OPENCODE_URL=http://host:port
  CC_CI_SUPERVISOR_STATE_DIR=DIR (default <repo>/.cc-ci-supervisor)
  CLAUDE_BIN, OPENCODE_BIN       agent executables (default: claude, opencode on PATH)
See docs/supervisor.md for every INI key and what each status field means.
)";

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop.store(true); }

struct Context {
  SupervisorConfig config;
  std::string config_path;
};

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

bool IsLoop(const std::string& name) {
  for (const std::string& n : LoopNames()) {
    if (n == name) return true;
  }
  return false;
}

std::vector<std::string> SelectLoops(const std::vector<std::string>& rest) {
  if (rest.empty()) return LoopNames();
  return {rest[0]};
}

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
  cmd.env = CurrentEnvironment();
  cmd.cwd = ctx.config.repo;
  PosixProcessLauncher launcher;
  Result<AgentHandle> h = launcher.Launch(cmd, store.dir() + "/logs/watchdog.stderr");
  if (!h.ok()) return h.status();
  return h->pid;
}

int CmdStart(const Context& ctx, const std::vector<std::string>& rest) {
  StateStore store(ctx.config.state_dir);
  if (Status s = store.Init(); !s.ok()) {
    std::cerr << s.ToString() << "\n";
    return 1;
  }
  for (const std::string& loop : SelectLoops(rest)) {
    if (Status s = store.WriteWant(loop, true); !s.ok()) {
      std::cerr << s.ToString() << "\n";
      return 1;
    }
    std::cout << "wanted: " << loop << "\n";
  }
  std::optional<int> holder = WatchdogLock::Holder(store.LockPath());
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

int CmdStop(const Context& ctx, const std::vector<std::string>& rest) {
  StateStore store(ctx.config.state_dir);
  if (Status s = store.Init(); !s.ok()) {
    std::cerr << s.ToString() << "\n";
    return 1;
  }
  std::vector<std::string> loops = SelectLoops(rest);
  for (const std::string& loop : loops) {
    if (Status s = store.WriteWant(loop, false); !s.ok()) {
      std::cerr << s.ToString() << "\n";
      return 1;
    }
  }
  std::optional<int> holder = WatchdogLock::Holder(store.LockPath());
  auto deadline = std::chrono::steady_clock::now() + ctx.config.stop_grace + ctx.config.tick * 2 +
                  std::chrono::seconds(10);
  bool all_stopped = false;
  while (holder && std::chrono::steady_clock::now() < deadline) {
    all_stopped = true;
    for (const std::string& loop : loops) {
      Result<LoopState> s = store.LoadLoop(loop);
      if (s.ok() && s->agent.pid != 0) all_stopped = false;
    }
    if (all_stopped) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!all_stopped) {
    // No watchdog (or it did not react): stop the recorded groups ourselves.
    PosixProcessLauncher launcher;
    for (const std::string& loop : loops) {
      Result<LoopState> s = store.LoadLoop(loop);
      if (!s.ok() || s->agent.pid == 0) continue;
      launcher.StopGroup(s->agent, ctx.config.stop_grace);
      if (holder) continue;  // the watchdog owns the state file
      s->agent = AgentHandle{};
      s->phase = LoopPhase::kStopped;
      s->last_reason = "stopped by operator";
      (void)store.SaveLoop(*s);
    }
  }
  for (const std::string& loop : loops) std::cout << "stopped: " << loop << "\n";
  if (rest.empty() && holder && *holder > 0) {
    kill(*holder, SIGTERM);
    std::cout << "watchdog (pid " << *holder << ") asked to exit\n";
  }
  return 0;
}

void WriteStatusJson(const StateStore& store, const WatchdogInfo& info, std::optional<int> holder,
                     const std::string& journal, int64_t now) {
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("watchdog");
  w.StartObject();
  w.Key("running");
  w.Bool(holder.has_value());
  w.Key("pid");
  w.Int(holder.value_or(0));
  w.EndObject();
  w.Key("plan");
  w.StartObject();
  w.Key("phase_file");
  w.String(info.phase_file.c_str());
  w.Key("phase_index");
  w.Int(info.phase_index);
  w.Key("phase_count");
  w.Int(info.phase_count);
  w.Key("all_done");
  w.Bool(info.all_done);
  w.Key("checked_at");
  w.String(info.checked_at_ms ? FormatRfc3339Millis(info.checked_at_ms).c_str() : "");
  w.EndObject();
  w.Key("last_commit");
  w.String(info.last_commit.c_str());
  w.Key("loops");
  w.StartArray();
  for (const std::string& name : LoopNames()) {
    Result<LoopState> r = store.LoadLoop(name);
    LoopState s = r.ok() ? *r : LoopState{};
    s.name = name;
    w.StartObject();
    w.Key("name");
    w.String(name.c_str());
    w.Key("state");
    w.String(LoopPhaseName(s.phase));
    w.Key("wanted");
    w.Bool(store.ReadWant(name).run);
    w.Key("pid");
    w.Int(s.agent.pid);
    w.Key("iteration");
    w.Int(s.iteration);
    w.Key("uptime_s");
    w.Int64(s.agent.pid ? (now - s.started_at_ms) / 1000 : 0);
    w.Key("restarts");
    w.Int(s.restarts);
    w.Key("heals");
    w.Int(s.heals);
    w.Key("session_id");
    w.String(s.session_id.c_str());
    w.Key("last_output");
    w.String(s.last_output.c_str());
    w.Key("last_output_age_s");
    w.Int64(s.last_output_at_ms ? (now - s.last_output_at_ms) / 1000 : -1);
    w.Key("wait_until");
    w.String(s.wait_until_ms ? FormatRfc3339Millis(s.wait_until_ms).c_str() : "");
    w.Key("wait_s");
    w.Int64(s.wait_until_ms > now ? (s.wait_until_ms - now) / 1000 : 0);
    w.Key("last_reason");
    w.String(s.last_reason.c_str());
    w.EndObject();
  }
  w.EndArray();
  w.Key("journal_last_entry");
  w.String(journal.c_str());
  w.EndObject();
  std::cout << buf.GetString() << "\n";
}

int CmdStatus(const Context& ctx, const std::vector<std::string>& rest) {
  StateStore store(ctx.config.state_dir);
  WatchdogInfo info = store.LoadWatchdog();
  std::optional<int> holder = WatchdogLock::Holder(store.LockPath());
  Result<std::string> journal_text = ReadWholeFile(ctx.config.repo + "/JOURNAL.md");
  std::string journal = journal_text.ok() ? LastJournalEntry(*journal_text) : "";
  if (info.last_commit.empty())
    info.last_commit = GitRepoProbe(ctx.config.repo, "", "").LastCommit();
  int64_t now = RealClock()->NowUnixMillis();
  if (!rest.empty() && rest[0] == "--json") {
    WriteStatusJson(store, info, holder, journal, now);
    return 0;
  }
  std::cout << "watchdog: "
            << (holder ? "running (pid " + std::to_string(*holder) + ")" : "not running") << "\n";
  std::cout << "backend:  " << BackendName(ctx.config.backend) << " model " << ctx.config.model
            << "\n";
  if (info.all_done) {
    std::cout << "plan:     all " << info.phase_count << " phases DONE\n";
  } else if (info.phase_count > 0) {
    std::cout << "plan:     phase " << info.phase_index << "/" << info.phase_count << " "
              << info.phase_file << " (checked " << Age(now - info.checked_at_ms) << " ago)\n";
  } else {
    std::cout << "plan:     not read yet\n";
  }
  std::cout << "commit:   " << info.last_commit << "\n";
  for (const std::string& name : LoopNames()) {
    Result<LoopState> r = store.LoadLoop(name);
    LoopState s = r.ok() ? *r : LoopState{};
    std::cout << "\n"
              << name << ": " << LoopPhaseName(s.phase)
              << (store.ReadWant(name).run ? "" : " (not wanted)");
    if (s.agent.pid) {
      std::cout << "  pid " << s.agent.pid << "  uptime " << Age(now - s.started_at_ms);
    }
    std::cout << "  iteration " << s.iteration << "  restarts " << s.restarts << "  heals "
              << s.heals << "\n";
    if (!s.session_id.empty()) std::cout << "  session:     " << s.session_id << "\n";
    if (s.last_output_at_ms) {
      std::cout << "  last output: " << Age(now - s.last_output_at_ms) << " ago: " << s.last_output
                << "\n";
    }
    if ((s.phase == LoopPhase::kBackoff || s.phase == LoopPhase::kRateLimited) &&
        s.wait_until_ms > now) {
      std::cout << "  waiting:     " << Age(s.wait_until_ms - now) << " (until "
                << FormatRfc3339Millis(s.wait_until_ms) << ")\n";
    }
    if (!s.last_reason.empty()) std::cout << "  last reason: " << s.last_reason << "\n";
  }
  if (!journal.empty()) std::cout << "\nJOURNAL.md, last entry:\n" << journal;
  return 0;
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
    } else if (IsLoop(rest[i]) || rest[i] == "watchdog") {
      names.push_back(rest[i]);
    } else {
      std::cerr << "logs: unknown argument " << rest[i] << "\n";
      return 2;
    }
  }
  if (names.empty()) names = {"builder", "reviewer", "watchdog"};
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
  signal(SIGINT, OnSignal);
  signal(SIGTERM, OnSignal);
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
  Result<std::unique_ptr<WatchdogLock>> lock = WatchdogLock::Acquire(store.LockPath());
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
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  std::mt19937_64 gen(std::random_device{}());
  std::uniform_real_distribution<double> dist(0.0, 1.0);
  PosixProcessLauncher launcher;
  GitRepoProbe repo(ctx.config.repo, ctx.config.plans_dir, ctx.config.main_ref);
  Watchdog wd(
      ctx.config, RealClock(), &launcher, &repo, &store, [&] { return dist(gen); },
      CurrentEnvironment());
  if (Status s = EnsureJournal(ctx.config.repo); !s.ok()) {
    LogWarn("journal.create_failed", {{"reason", s.ToString()}});
  }
  LogInfo("watchdog.started", {{"pid", static_cast<int>(getpid())},
                               {"repo", ctx.config.repo},
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

int RunCli(const std::vector<std::string>& args) {
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
  Result<SupervisorConfig> config = LoadConfig(repo, config_path, CurrentEnvironment());
  if (!config.ok()) {
    std::cerr << "cc-ci-supervisor: " << config.status().ToString() << "\n";
    return 2;
  }
  if (Status s = config->Validate(); !s.ok()) {
    std::cerr << "cc-ci-supervisor: " << s.ToString() << "\n";
    return 2;
  }
  Context ctx{*config, config_path};
  bool loop_arg_ok = rest.empty() || IsLoop(rest[0]);
  if (command == "start" || command == "stop") {
    if (!loop_arg_ok || rest.size() > 1) {
      std::cerr << command << ": expected builder or reviewer\n";
      return 2;
    }
    return command == "start" ? CmdStart(ctx, rest) : CmdStop(ctx, rest);
  }
  if (command == "restart") {
    int rc = CmdStop(ctx, {});
    if (rc != 0) return rc;
    // The old watchdog releases its lock as it exits; wait for that before starting anew.
    StateStore store(ctx.config.state_dir);
    for (int k = 0; k < 200 && WatchdogLock::Holder(store.LockPath()); ++k) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return CmdStart(ctx, {});
  }
  if (command == "status") return CmdStatus(ctx, rest);
  if (command == "logs") return CmdLogs(ctx, rest);
  if (command == "watchdog") return CmdWatchdog(ctx, rest);
  std::cerr << "unknown command: " << command << "\n" << kUsage;
  return 2;
}

}  // namespace ccci::supervisor
