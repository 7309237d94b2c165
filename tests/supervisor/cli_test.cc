// The real cc-ci-supervisor binary against a real git repo and the fake claude: start
// spawns a detached watchdog that runs both loops, status reports them, stop leaves nothing
// behind, and a plan marked DONE on main (or on the CC_CI_REPO remote) ends the watchdog by
// itself. Then the orchestrator and upgrade subcommands.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <thread>

#include "supervisor/process_launcher.h"
#include "supervisor/state_store.h"
#include "supervisor/upgrade_job.h"
#include "supervisor/watchdog.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/wait_until.h"

namespace ccci::supervisor {
namespace {

using ::ccci::testing::ReadFileOrDie;
using ::ccci::testing::TempDir;
using ::ccci::testing::WriteFile;

int CountCallsIn(const std::string& calls) {
  int n = 0;
  for (size_t at = calls.find("--\n"); at != std::string::npos; at = calls.find("--\n", at + 3)) {
    if (at == 0 || calls[at - 1] == '\n') ++n;
  }
  return n;
}

// The argv of the last call a fake agent recorded (one argument per line).
std::string LastCall(const std::string& calls) {
  std::string body = calls.substr(0, calls.size() - 3);  // without the final "--\n"
  size_t end_of_previous = body.rfind("\n--\n");
  return end_of_previous == std::string::npos ? body + "\n"
                                              : body.substr(end_of_previous + 4) + "\n";
}

bool WaitFor(const std::function<bool()>& cond) {
  return ccci::testing::WaitUntil(cond, std::chrono::seconds(20), std::chrono::milliseconds(20));
}

class CliTest : public ::testing::Test {
 protected:
  CliTest() : repo_(dir_.File("repo")), store_(repo_ + "/.cc-ci-supervisor") {
    std::filesystem::create_directories(repo_ + "/plans");
    std::filesystem::create_directories(repo_ + "/prompts");
    std::filesystem::create_directories(dir_.File("agent"));
    WriteFile(repo_ + "/plans/01-only.md", "# Phase 1\n- [ ] everything\n");
    WriteFile(repo_ + "/prompts/builder.md", "Build.\n");
    WriteFile(repo_ + "/prompts/reviewer.md", "Review.\n");
    WriteFile(repo_ + "/prompts/orchestrator.md", "Orchestrate.\n");
    WriteFile(repo_ + "/prompts/upgrader.md", "Upgrade.\n");
    WriteFile(repo_ + "/JOURNAL.md", "# JOURNAL\n\n## 2026-11-25 builder\nset up the repo\n");
    WriteFile(repo_ + "/supervisor.ini",
              "[loop]\nclaude_bin = " + std::string(CCCI_SOURCE_DIR) +
                  "/tests/supervisor/fakes/claude\nopencode_bin = " + std::string(CCCI_SOURCE_DIR) +
                  "/tests/supervisor/fakes/opencode\nmodel = fake-model\n"
                  "[watchdog]\ntick = 1\nprogress_every = 1\nstop_grace = 2\n");
    Git("init -q -b main");
    Git("add -A");
    Git("commit -q -m init");
    WriteFile(dir_.File("agent/mode"), "hang\n");
    setenv("FAKE_AGENT_DIR", dir_.File("agent").c_str(), 1);
  }
  ~CliTest() override {
    // Never leave a watchdog or an agent behind, even when a test failed.
    if (auto holder = WatchdogLock::Holder(store_.LockPath())) kill(*holder, SIGKILL);
    for (const char* loop : {"builder", "reviewer", "orchestrator", "upgrade"}) {
      Result<LoopState> s = store_.LoadLoop(loop);
      if (s.ok() && s->agent.pid) kill(-s->agent.pid, SIGKILL);
    }
  }
  void Git(const std::string& args) {
    std::string cmd = "git -C '" + repo_ + "' -c user.name=t -c user.email=t@example.org " + args +
                      " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  // Runs the binary (with `env` prepended, e.g. "LOOP_MODEL=x "); returns its exit status,
  // stdout and stderr in *out.
  int Cli(const std::string& args, std::string* out = nullptr, const std::string& env = "") {
    std::string cmd = "env " + env + std::string(CCCI_SUPERVISOR_BIN) + " --repo '" + repo_ + "' " +
                      args + " >'" + dir_.File("cli.out") + "' 2>&1";
    int status = std::system(cmd.c_str());
    if (out) *out = ReadFileOrDie(dir_.File("cli.out"));
    return WEXITSTATUS(status);
  }
  std::string Calls() { return ReadFileOrDie(dir_.File("agent/calls")); }
  int LoopPid(const std::string& loop) {
    Result<LoopState> s = store_.LoadLoop(loop);
    return s.ok() && !s->session_id.empty() ? s->agent.pid : 0;
  }

  TempDir dir_;
  std::string repo_;
  StateStore store_;
};

TEST_F(CliTest, StartStatusLogsStop) {
  std::string out;
  ASSERT_EQ(Cli("start", &out), 0) << out;
  EXPECT_NE(out.find("watchdog started"), std::string::npos) << out;
  ASSERT_TRUE(WaitFor([&] { return LoopPid("builder") && LoopPid("reviewer"); }));
  int builder = LoopPid("builder");
  int reviewer = LoopPid("reviewer");

  ASSERT_EQ(Cli("start", &out), 0);
  EXPECT_NE(out.find("watchdog already running"), std::string::npos) << out;

  ASSERT_EQ(Cli("status --json", &out), 0) << out;
  rapidjson::Document d;
  d.Parse(out.c_str());
  ASSERT_FALSE(d.HasParseError()) << out;
  EXPECT_TRUE(d["watchdog"]["running"].GetBool());
  EXPECT_STREQ(d["plan"]["phase_file"].GetString(), "plans/01-only.md");
  EXPECT_STREQ(d["loops"][0]["name"].GetString(), "builder");
  EXPECT_STREQ(d["loops"][0]["state"].GetString(), "running");
  EXPECT_EQ(d["loops"][0]["pid"].GetInt(), builder);
  EXPECT_EQ(std::string(d["loops"][0]["session_id"].GetString()).rfind("sess-", 0), 0u);
  EXPECT_NE(std::string(d["journal_last_entry"].GetString()).find("set up the repo"),
            std::string::npos);

  ASSERT_EQ(Cli("status", &out), 0);
  EXPECT_NE(out.find("builder: running"), std::string::npos) << out;
  EXPECT_NE(out.find("phase 1/1 plans/01-only.md"), std::string::npos) << out;

  ASSERT_EQ(Cli("logs builder -n 5", &out), 0);
  EXPECT_NE(out.find("\"subtype\":\"init\""), std::string::npos) << out;

  ASSERT_EQ(Cli("stop", &out), 0) << out;
  EXPECT_TRUE(LiveGroupMembers(builder).empty());
  EXPECT_TRUE(LiveGroupMembers(reviewer).empty());
  EXPECT_TRUE(WaitFor([&] { return !WatchdogLock::Holder(store_.LockPath()).has_value(); }));
  EXPECT_EQ(store_.LoadLoop("builder")->phase, LoopPhase::kStopped);
}

TEST_F(CliTest, PlanDoneOnMainEndsTheWatchdog) {
  ASSERT_EQ(Cli("start builder"), 0);
  ASSERT_TRUE(WaitFor([&] { return LoopPid("builder") != 0; }));
  int builder = LoopPid("builder");
  EXPECT_EQ(LoopPid("reviewer"), 0);
  WriteFile(repo_ + "/plans/01-only.md", "# Phase 1\n- [x] everything\n\n## DONE\n");
  Git("commit -q -am done");
  EXPECT_TRUE(WaitFor([&] { return !WatchdogLock::Holder(store_.LockPath()).has_value(); }));
  EXPECT_TRUE(LiveGroupMembers(builder).empty());
  EXPECT_EQ(store_.LoadLoop("builder")->phase, LoopPhase::kDone);
  EXPECT_NE(ReadFileOrDie(store_.LogPath("watchdog")).find("event=plan.done"), std::string::npos);
}

TEST_F(CliTest, KilledWatchdogsAgentsAreReadoptedAndStoppableWithoutOne) {
  ASSERT_EQ(Cli("start"), 0);
  ASSERT_TRUE(WaitFor([&] { return LoopPid("builder") && LoopPid("reviewer"); }));
  int builder = LoopPid("builder");
  int reviewer = LoopPid("reviewer");
  std::optional<int> first = WatchdogLock::Holder(store_.LockPath());
  ASSERT_TRUE(first.has_value());
  kill(*first, SIGKILL);  // the supervisor dies hard; its agents do not
  ASSERT_TRUE(WaitFor([&] { return !WatchdogLock::Holder(store_.LockPath()).has_value(); }));
  EXPECT_TRUE(ProcessStartTicks(builder).has_value());

  std::string out;
  ASSERT_EQ(Cli("start", &out), 0) << out;
  ASSERT_TRUE(WaitFor([&] {
    std::string log = ReadFileOrDie(store_.LogPath("watchdog"));
    return log.find("event=loop.adopted loop=reviewer") != std::string::npos;
  }));
  // A tick or two later (tick = 1 s) nothing has changed: a check that something does NOT
  // happen has no condition to wait for, and the watchdog is another process (no FakeClock).
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(LoopPid("builder"), builder) << "re-adopted, not restarted";
  EXPECT_EQ(store_.LoadLoop("builder")->iteration, 1);

  std::optional<int> second = WatchdogLock::Holder(store_.LockPath());
  ASSERT_TRUE(second.has_value());
  kill(*second, SIGKILL);
  ASSERT_TRUE(WaitFor([&] { return !WatchdogLock::Holder(store_.LockPath()).has_value(); }));
  ASSERT_EQ(Cli("stop", &out), 0) << out;  // no watchdog: stop does it itself
  EXPECT_TRUE(LiveGroupMembers(builder).empty());
  EXPECT_TRUE(LiveGroupMembers(reviewer).empty());
  EXPECT_EQ(store_.LoadLoop("reviewer")->phase, LoopPhase::kStopped);
}

TEST_F(CliTest, HelpAndUsageErrors) {
  std::string out;
  EXPECT_EQ(Cli("--help", &out), 0);
  EXPECT_NE(out.find("status [--json]"), std::string::npos);
  EXPECT_EQ(Cli("start tester", &out), 2);
  EXPECT_EQ(Cli("frobnicate", &out), 2);
  setenv("LOOP_BACKEND", "gpt", 1);
  EXPECT_EQ(Cli("status", &out), 2);
  unsetenv("LOOP_BACKEND");
}

TEST_F(CliTest, NewSubcommandsHaveTruthfulHelp) {
  std::string out;
  EXPECT_EQ(Cli("--help", &out), 0);
  EXPECT_NE(out.find("orchestrator start|stop|status [--json]|attach-info"), std::string::npos);
  EXPECT_NE(out.find("upgrade [--recipe NAME ...]"), std::string::npos);
  EXPECT_NE(out.find("CC_CI_REPO"), std::string::npos);
  EXPECT_EQ(Cli("orchestrator --help", &out), 0);
  EXPECT_NE(out.find("attach-info"), std::string::npos) << out;
  EXPECT_NE(out.find("No conversation found"), std::string::npos) << out;
  EXPECT_NE(out.find("opencode run --attach URL --title T"), std::string::npos) << out;
  EXPECT_EQ(Cli("orchestrator start --help", &out), 0);
  EXPECT_EQ(Cli("upgrade --help", &out), 0);
  EXPECT_NE(out.find("LOOP_BACKEND / LOOP_MODEL, when set, take precedence"), std::string::npos);
  EXPECT_NE(out.find("124  upgrade_timeout passed"), std::string::npos) << out;
  EXPECT_EQ(Cli("orchestrator", &out), 2);
  EXPECT_EQ(Cli("orchestrator resume", &out), 2);
  EXPECT_EQ(Cli("orchestrator stop now", &out), 2);
  EXPECT_EQ(Cli("upgrade --recipe", &out), 2);
  EXPECT_EQ(Cli("upgrade bonfire", &out), 2);
  EXPECT_EQ(Cli("status --yaml", &out), 2);
  EXPECT_FALSE(std::filesystem::exists(store_.UpgradeLockPath())) << "a usage error ran a job";
}

TEST_F(CliTest, OrchestratorRunsBesideTheLoopsAndResumesItsSessionAfterARestart) {
  std::string out;
  ASSERT_EQ(Cli("orchestrator start", &out), 0) << out;
  EXPECT_NE(out.find("wanted: orchestrator"), std::string::npos) << out;
  ASSERT_TRUE(WaitFor([&] { return LoopPid("orchestrator") != 0; }));
  int first = LoopPid("orchestrator");
  EXPECT_EQ(LoopPid("builder"), 0) << "orchestrator start does not start the loops";
  EXPECT_NE(ReadFileOrDie(dir_.File("agent/prompt.1")).find("Read JOURNAL.md first"),
            std::string::npos);

  ASSERT_EQ(Cli("status --json", &out), 0) << out;
  rapidjson::Document d;
  d.Parse(out.c_str());
  ASSERT_FALSE(d.HasParseError()) << out;
  EXPECT_STREQ(d["orchestrator"]["state"].GetString(), "running");
  EXPECT_STREQ(d["orchestrator"]["session_id"].GetString(), "sess-1");
  EXPECT_EQ(d["orchestrator"]["pid"].GetInt(), first);
  EXPECT_EQ(d["loops"].Size(), 2u) << "the orchestrator is shown beside the loops";
  ASSERT_EQ(Cli("status", &out), 0);
  EXPECT_NE(out.find("orchestrator: running  pid " + std::to_string(first)), std::string::npos)
      << out;
  ASSERT_EQ(Cli("orchestrator status --json", &out), 0);
  d.Parse(out.c_str());
  ASSERT_FALSE(d.HasParseError()) << out;
  EXPECT_STREQ(d["orchestrator"]["session_id"].GetString(), "sess-1");
  ASSERT_EQ(Cli("orchestrator attach-info", &out), 0);
  EXPECT_NE(out.find("claude --resume sess-1 --fork-session"), std::string::npos) << out;

  // The supervisor and its agent die (as in a power cut); the next start resumes sess-1.
  std::optional<int> watchdog = WatchdogLock::Holder(store_.LockPath());
  ASSERT_TRUE(watchdog.has_value());
  kill(*watchdog, SIGKILL);
  kill(-first, SIGKILL);
  ASSERT_TRUE(WaitFor([&] { return !WatchdogLock::Holder(store_.LockPath()).has_value(); }));
  ASSERT_EQ(Cli("orchestrator start", &out), 0) << out;
  ASSERT_TRUE(WaitFor([&] {
    int pid = LoopPid("orchestrator");
    return pid != 0 && pid != first;
  }));
  // The saved state still names sess-1, so wait for the fake to have recorded the new call.
  ASSERT_TRUE(WaitFor([&] { return CountCallsIn(Calls()) == 2; })) << Calls();
  EXPECT_NE(Calls().find("--resume\nsess-1\n--\n"), std::string::npos) << Calls();
  EXPECT_EQ(store_.LoadLoop("orchestrator")->session_id, "sess-1");

  int second = LoopPid("orchestrator");
  ASSERT_EQ(Cli("orchestrator stop", &out), 0) << out;
  EXPECT_TRUE(LiveGroupMembers(second).empty());
  EXPECT_TRUE(WatchdogLock::Holder(store_.LockPath()).has_value())
      << "orchestrator stop must leave the watchdog running";
  ASSERT_EQ(Cli("stop", &out), 0) << out;
}

TEST_F(CliTest, DoneOnTheRemoteGivenAsCcCiRepoEndsTheWatchdog) {
  std::string remote = dir_.File("origin.git");
  std::string other = dir_.File("other");
  ASSERT_EQ(std::system(("git clone -q --bare '" + repo_ + "' '" + remote + "' && git clone -q '" +
                         remote + "' '" + other + "'")
                            .c_str()),
            0);
  setenv("CC_CI_REPO", remote.c_str(), 1);
  int rc = Cli("start builder");
  unsetenv("CC_CI_REPO");
  ASSERT_EQ(rc, 0);
  ASSERT_TRUE(WaitFor([&] { return LoopPid("builder") != 0; }));
  int builder = LoopPid("builder");
  WriteFile(other + "/plans/01-only.md", "# Phase 1\n- [x] everything\n\n## DONE\n");
  ASSERT_EQ(std::system(("git -C '" + other +
                         "' -c user.name=r -c user.email=r@example.org commit -q -am done && "
                         "git -C '" +
                         other + "' push -q origin HEAD:main")
                            .c_str()),
            0);
  EXPECT_TRUE(WaitFor([&] { return !WatchdogLock::Holder(store_.LockPath()).has_value(); }));
  EXPECT_TRUE(LiveGroupMembers(builder).empty());
  EXPECT_EQ(store_.LoadLoop("builder")->phase, LoopPhase::kDone);
  std::string log = ReadFileOrDie(store_.LogPath("watchdog"));
  EXPECT_NE(log.find("event=plan.done phases=1 source=\"" + remote + " main\""), std::string::npos)
      << log;
}

TEST_F(CliTest, UpgradeStreamsItsOutputAndExitsWithTheAgentsResult) {
  WriteFile(dir_.File("agent/mode"), "ok\n");
  std::string out;
  EXPECT_EQ(Cli("upgrade --recipe bonfire --recipe traefik", &out), 0) << out;
  EXPECT_NE(out.find("assistant: Reading JOURNAL.md\n"), std::string::npos) << out;
  EXPECT_NE(out.find("result success: done for now\n"), std::string::npos) << out;
  EXPECT_NE(out.find("upgrade: finished (exit 0)"), std::string::npos) << out;
  EXPECT_NE(ReadFileOrDie(dir_.File("agent/prompt.1")).find("Recipes: bonfire, traefik."),
            std::string::npos);
  EXPECT_EQ(ReadFileOrDie(dir_.File("agent/env.1")).find("CLAUDECODE="), std::string::npos);
  EXPECT_NE(ReadFileOrDie(store_.LogPath("upgrade")).find("\"subtype\":\"init\""),
            std::string::npos)
      << "the raw stream is kept";

  WriteFile(dir_.File("agent/mode"), "crash\n");
  EXPECT_EQ(Cli("upgrade", &out), 1) << out;
  EXPECT_NE(out.find("Error: something broke"), std::string::npos) << out;
  EXPECT_NE(out.find("upgrade: failed (exit 1): exited with status 3"), std::string::npos) << out;
  EXPECT_EQ(CountCallsIn(Calls()), 2) << "a failed job is not retried";
}

// LOOP_* over UPGRADER_*, all four combinations, through the real binary and fake agents.
TEST_F(CliTest, UpgradeBackendAndModelPrecedence) {
  WriteFile(dir_.File("agent/mode"), "ok\n");
  struct Case {
    std::string env;
    std::string backend_arg;  // claude's argv starts with -p, opencode's with run
    std::string model_flag;
    std::string model;
  } cases[] = {
      {"", "-p", "--model", "fake-model"},
      {"UPGRADER_BACKEND=opencode UPGRADER_MODEL=up-model ", "run", "-m", "up-model"},
      {"LOOP_BACKEND=opencode LOOP_MODEL=loop-model ", "run", "-m", "loop-model"},
      {"LOOP_BACKEND=claude LOOP_MODEL=loop-model UPGRADER_BACKEND=opencode "
       "UPGRADER_MODEL=up-model ",
       "-p", "--model", "loop-model"},
  };
  for (const Case& c : cases) {
    std::string out;
    ASSERT_EQ(Cli("upgrade", &out,
                  "-u LOOP_BACKEND -u LOOP_MODEL -u UPGRADER_BACKEND -u UPGRADER_MODEL " + c.env),
              0)
        << c.env << out;
    std::string last = LastCall(Calls());
    EXPECT_EQ(last.substr(0, last.find('\n')), c.backend_arg) << c.env << "\n" << last;
    EXPECT_NE(last.find(c.model_flag + "\n" + c.model + "\n"), std::string::npos) << c.env << "\n"
                                                                                  << last;
  }
}

TEST_F(CliTest, ASecondConcurrentUpgradeIsRefused) {
  WriteFile(dir_.File("agent/mode"), "hang\n");
  std::string first_out = dir_.File("first.out");
  pid_t first = fork();
  ASSERT_GE(first, 0);
  if (first == 0) {
    int fd = open(first_out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    execl(CCCI_SUPERVISOR_BIN, CCCI_SUPERVISOR_BIN, "--repo", repo_.c_str(), "upgrade",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_TRUE(WaitFor([&] {
    Result<LoopState> s = store_.LoadLoop("upgrade");
    return s.ok() && s->init_seen && WatchdogLock::Holder(store_.UpgradeLockPath()) == first;
  }));
  int agent = store_.LoadLoop("upgrade")->agent.pid;

  std::string out;
  EXPECT_EQ(Cli("upgrade", &out), 3) << out;
  EXPECT_NE(out.find("another upgrade is running (pid " + std::to_string(first) + ")"),
            std::string::npos)
      << out;
  EXPECT_EQ(CountCallsIn(Calls()), 1) << "the refused upgrade started an agent";
  ASSERT_EQ(Cli("status", &out), 0);
  EXPECT_NE(out.find("upgrade: running (command pid " + std::to_string(first) + ")"),
            std::string::npos)
      << out;

  kill(first, SIGTERM);
  int status = 0;
  ASSERT_EQ(waitpid(first, &status, 0), first);
  EXPECT_EQ(WEXITSTATUS(status), 130) << ReadFileOrDie(first_out);
  EXPECT_TRUE(LiveGroupMembers(agent).empty()) << "the interrupted job's agent survived";
  EXPECT_EQ(Cli("upgrade --help", &out), 0);
}

}  // namespace
}  // namespace ccci::supervisor
