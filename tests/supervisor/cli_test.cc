// The real cc-ci-supervisor binary against a real git repo and the fake claude: start
// spawns a detached watchdog that runs both loops, status reports them, stop leaves nothing
// behind, and a plan marked DONE on main ends the watchdog by itself.

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
#include "tests/fakes/test_files.h"

namespace ccci::supervisor {
namespace {

using ::ccci::testing::ReadFileOrDie;
using ::ccci::testing::TempDir;
using ::ccci::testing::WriteFile;

bool WaitFor(const std::function<bool()>& cond, int seconds = 20) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
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
    WriteFile(repo_ + "/JOURNAL.md", "# JOURNAL\n\n## 2026-11-25 builder\nset up the repo\n");
    WriteFile(repo_ + "/supervisor.ini",
              "[loop]\nclaude_bin = " + std::string(CCCI_SOURCE_DIR) +
                  "/tests/supervisor/fakes/claude\nmodel = fake-model\n"
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
    for (const char* loop : {"builder", "reviewer"}) {
      Result<LoopState> s = store_.LoadLoop(loop);
      if (s.ok() && s->agent.pid) kill(-s->agent.pid, SIGKILL);
    }
  }
  void Git(const std::string& args) {
    std::string cmd = "git -C '" + repo_ + "' -c user.name=t -c user.email=t@example.org " + args +
                      " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  // Runs the binary; returns its exit status, stdout in *out.
  int Cli(const std::string& args, std::string* out = nullptr) {
    std::string cmd = std::string(CCCI_SUPERVISOR_BIN) + " --repo '" + repo_ + "' " + args + " >'" +
                      dir_.File("cli.out") + "' 2>&1";
    int status = std::system(cmd.c_str());
    if (out) *out = ReadFileOrDie(dir_.File("cli.out"));
    return WEXITSTATUS(status);
  }
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
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // a tick or two later...
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

}  // namespace
}  // namespace ccci::supervisor
