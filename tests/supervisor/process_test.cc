// Real processes: the fake agent scripts in tests/supervisor/fakes, the real launcher, the
// real lock and the real cc-ci-supervisor binary. Time is still the fake clock wherever
// the watchdog decides; real waiting is only "until a condition holds", bounded.

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "supervisor/process_launcher.h"
#include "supervisor/repo_probe.h"
#include "supervisor/rotating_log.h"
#include "supervisor/state_store.h"
#include "supervisor/stream_event.h"
#include "supervisor/watchdog.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/wait_until.h"
#include "tests/supervisor/fake_launcher.h"

namespace ccci::supervisor {
namespace {

using ::ccci::testing::ReadFileOrDie;
using ::ccci::testing::TempDir;
using ::ccci::testing::WriteFile;

const std::string kFakes = std::string(CCCI_SOURCE_DIR) + "/tests/supervisor/fakes";

bool WaitFor(const std::function<bool()>& cond) {
  return ccci::testing::WaitUntil(cond, std::chrono::seconds(15));
}

int CountCalls(const std::string& dir) {
  std::ifstream in(dir + "/calls");
  std::string line;
  int n = 0;
  while (std::getline(in, line)) n += line == "--";
  return n;
}

class ProcessTest : public ::testing::Test {
 protected:
  ProcessTest() : agent_dir_(dir_.File("agent")), store_(dir_.File("state")) {
    std::filesystem::create_directories(agent_dir_);
    std::filesystem::create_directories(dir_.File("repo/prompts"));
    WriteFile(dir_.File("repo/prompts/builder.md"), "You are the Builder.\n");
    WriteFile(dir_.File("repo/prompts/reviewer.md"), "You are the Reviewer.\n");
    setenv("FAKE_AGENT_DIR", agent_dir_.c_str(), 1);
    config_ = *LoadConfig(dir_.File("repo"), "", {});
    config_.state_dir = store_.dir();
    config_.claude_bin = kFakes + "/claude";
    config_.opencode_bin = kFakes + "/opencode";
    config_.stop_grace = Seconds(1);
    EXPECT_TRUE(store_.Init().ok());
  }
  ~ProcessTest() override {
    for (int pid : to_kill_) kill(-pid, SIGKILL);
  }
  void Mode(const std::string& m) { WriteFile(agent_dir_ + "/mode", m + "\n"); }
  std::unique_ptr<Watchdog> MakeWatchdog(ProcessLauncher* launcher) {
    return std::make_unique<Watchdog>(
        config_, &clock_, launcher, &repo_, &store_, [] { return 0.5; }, CurrentEnvironment());
  }
  // Ticks (without moving the fake clock) until `cond` holds.
  bool TickUntil(Watchdog& wd, const std::function<bool()>& cond) {
    return WaitFor([&] {
      wd.Tick();
      return cond();
    });
  }

  TempDir dir_;
  std::string agent_dir_;
  StateStore store_;
  SupervisorConfig config_;
  ccci::testing::FakeClock clock_;
  testing::FakeRepoProbe repo_;
  std::vector<int> to_kill_;
};

TEST_F(ProcessTest, StopLeavesNoProcessOfTheGroupBehind) {
  Mode("spawn_child");
  PosixProcessLauncher launcher;
  AgentCommand cmd{{config_.claude_bin, "-p", "go"}, CurrentEnvironment(), dir_.path()};
  Result<AgentHandle> h = launcher.Launch(cmd, dir_.File("out"));
  ASSERT_TRUE(h.ok());
  to_kill_.push_back(h->pid);
  ASSERT_TRUE(WaitFor([&] { return LiveGroupMembers(h->pid).size() >= 2; }));
  ASSERT_TRUE(WaitFor([&] { return std::filesystem::exists(agent_dir_ + "/child.pid"); }));
  int child = std::atoi(ReadFileOrDie(agent_dir_ + "/child.pid").c_str());
  ASSERT_GT(child, 0);
  EXPECT_TRUE(ProcessStartTicks(child).has_value());

  launcher.StopGroup(*h, Seconds(1));  // the child ignores SIGTERM: it takes the SIGKILL
  EXPECT_TRUE(LiveGroupMembers(h->pid).empty());
  EXPECT_FALSE(ProcessStartTicks(child).has_value()) << "the SIGTERM-ignoring child survived";
  EXPECT_FALSE(launcher.Poll(*h).running);
}

TEST_F(ProcessTest, OutputAndExitStatusOfARealAgent) {
  Mode("crash");
  PosixProcessLauncher launcher;
  AgentCommand cmd{{config_.claude_bin, "-p", "go"}, CurrentEnvironment(), dir_.path()};
  Result<AgentHandle> h = launcher.Launch(cmd, dir_.File("out"));
  ASSERT_TRUE(h.ok());
  PollResult r;
  ASSERT_TRUE(WaitFor([&] { return !(r = launcher.Poll(*h)).running; }));
  EXPECT_EQ(r.exit_code, 3);
  std::vector<std::string> lines = launcher.ReadLines(*h, true);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(ParseStreamLine(lines[0]).session_id, "sess-1");
  EXPECT_EQ(lines[1], "Error: something broke");
  EXPECT_TRUE(launcher.ReadLines(*h, true).empty()) << "the offset moved past what was read";
}

TEST_F(ProcessTest, StalledRealSessionIsResumedWithTheSessionIdFromItsStream) {
  Mode("hang");
  PosixProcessLauncher launcher;
  auto wd = MakeWatchdog(&launcher);
  ASSERT_TRUE(store_.WriteWant("builder", true).ok());
  ASSERT_TRUE(TickUntil(*wd, [&] { return wd->loop("builder").session_id == "sess-1"; }));
  int first = wd->loop("builder").agent.pid;
  to_kill_.push_back(first);
  EXPECT_EQ(ReadFileOrDie(agent_dir_ + "/env.1").find("CLAUDECODE="), std::string::npos);

  clock_.Advance(config_.stall_after);
  wd->Tick();
  EXPECT_TRUE(LiveGroupMembers(first).empty());
  int second = wd->loop("builder").agent.pid;
  to_kill_.push_back(second);
  EXPECT_NE(second, first);
  EXPECT_EQ(wd->loop("builder").heals, 1);
  ASSERT_TRUE(WaitFor([&] { return CountCalls(agent_dir_) == 2; }));
  std::string calls = ReadFileOrDie(agent_dir_ + "/calls");
  EXPECT_NE(calls.find("--resume\nsess-1\n--\n"), std::string::npos) << calls;

  ASSERT_TRUE(store_.WriteWant("builder", false).ok());
  wd->Tick();
  EXPECT_TRUE(LiveGroupMembers(second).empty());
  EXPECT_EQ(wd->loop("builder").phase, LoopPhase::kStopped);
}

TEST_F(ProcessTest, RestartedSupervisorReadoptsItsRunningLoops) {
  Mode("hang");
  ASSERT_TRUE(store_.WriteWant("builder", true).ok());
  ASSERT_TRUE(store_.WriteWant("reviewer", true).ok());
  int builder_pid = 0;
  int reviewer_pid = 0;
  {
    PosixProcessLauncher launcher;
    auto wd = MakeWatchdog(&launcher);
    ASSERT_TRUE(TickUntil(*wd, [&] {
      return !wd->loop("builder").session_id.empty() && !wd->loop("reviewer").session_id.empty();
    }));
    builder_pid = wd->loop("builder").agent.pid;
    reviewer_pid = wd->loop("reviewer").agent.pid;
    to_kill_ = {builder_pid, reviewer_pid};
  }  // the first supervisor is gone; its agents are not
  // The reviewer dies while no supervisor watches.
  kill(-reviewer_pid, SIGKILL);
  waitpid(reviewer_pid, nullptr, 0);

  PosixProcessLauncher launcher;
  auto wd = MakeWatchdog(&launcher);
  wd->Recover();
  EXPECT_EQ(wd->loop("builder").phase, LoopPhase::kRunning);
  EXPECT_EQ(wd->loop("builder").agent.pid, builder_pid);
  std::string reviewer_session = wd->loop("reviewer").session_id;
  wd->Tick();
  EXPECT_EQ(wd->loop("builder").agent.pid, builder_pid) << "a live loop must not be restarted";
  EXPECT_EQ(wd->loop("builder").iteration, 1);
  int new_reviewer = wd->loop("reviewer").agent.pid;
  to_kill_.push_back(new_reviewer);
  EXPECT_NE(new_reviewer, 0);
  EXPECT_NE(new_reviewer, reviewer_pid);
  ASSERT_TRUE(WaitFor([&] { return CountCalls(agent_dir_) == 3; }));
  EXPECT_NE(ReadFileOrDie(agent_dir_ + "/calls").find("--resume\n" + reviewer_session + "\n"),
            std::string::npos);

  ASSERT_TRUE(store_.WriteWant("builder", false).ok());
  ASSERT_TRUE(store_.WriteWant("reviewer", false).ok());
  wd->Tick();
  EXPECT_TRUE(LiveGroupMembers(builder_pid).empty());
  EXPECT_TRUE(LiveGroupMembers(new_reviewer).empty());
}

TEST_F(ProcessTest, MissingAgentBinaryIsALaunchError) {
  PosixProcessLauncher launcher;
  AgentCommand cmd{{dir_.File("no-such-claude"), "-p", "go"}, CurrentEnvironment(), dir_.path()};
  Result<AgentHandle> h = launcher.Launch(cmd, dir_.File("out"));
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.status().message().find("No such file"), std::string::npos) << h.status().ToString();
}

TEST_F(ProcessTest, StopRightAfterLaunchCatchesTheNewGroup) {
  Mode("spawn_child");
  PosixProcessLauncher launcher;
  for (int i = 0; i < 5; ++i) {
    AgentCommand cmd{{config_.claude_bin, "-p", "go"}, CurrentEnvironment(), dir_.path()};
    Result<AgentHandle> h = launcher.Launch(cmd, dir_.File("out"));
    ASSERT_TRUE(h.ok());
    to_kill_.push_back(h->pid);
    launcher.StopGroup(*h, Seconds(1));
    EXPECT_TRUE(LiveGroupMembers(h->pid).empty());
    EXPECT_FALSE(launcher.Poll(*h).running);
  }
}

TEST_F(ProcessTest, OpencodeFinishedIterationsAreNewTitledJsonSessions) {
  config_.backend = Backend::kOpencode;
  config_.opencode_url = "http://127.0.0.1:4096";
  Mode("ok");
  PosixProcessLauncher launcher;
  auto wd = MakeWatchdog(&launcher);
  ASSERT_TRUE(store_.WriteWant("reviewer", true).ok());
  ASSERT_TRUE(TickUntil(*wd, [&] {
    return wd->loop("reviewer").iteration == 1 && wd->loop("reviewer").agent.pid == 0;
  }));
  EXPECT_EQ(wd->loop("reviewer").last_reason, "iteration finished");
  EXPECT_EQ(wd->loop("reviewer").last_output, "step finished: stop");
  EXPECT_EQ(wd->loop("reviewer").session_id, "ses_fake1");
  clock_.Advance(config_.backoff_initial);
  ASSERT_TRUE(TickUntil(*wd, [&] { return wd->loop("reviewer").iteration == 2; }));
  ASSERT_TRUE(WaitFor([&] { return CountCalls(agent_dir_) == 2; }));
  std::string calls = ReadFileOrDie(agent_dir_ + "/calls");
  EXPECT_NE(calls.find("run\n--attach\nhttp://127.0.0.1:4096\n--format\njson\n--title\n"
                       "cc-ci reviewer #1\n-m\nsonnet\nYou are the Reviewer.\n--\n"),
            std::string::npos)
      << calls;
  EXPECT_NE(calls.find("--title\ncc-ci reviewer #2\n"), std::string::npos) << calls;
  EXPECT_EQ(calls.find("--session"), std::string::npos) << "a finished iteration starts fresh";
  ASSERT_TRUE(store_.WriteWant("reviewer", false).ok());
  wd->Tick();
}

TEST_F(ProcessTest, RecycledPidIsNotAdopted) {
  AgentHandle h;
  h.pid = getpid();
  h.start_ticks = *ProcessStartTicks(getpid()) + 1;  // same pid, another process
  EXPECT_FALSE(PosixProcessLauncher().Adopt(h));
  h.start_ticks -= 1;
  EXPECT_TRUE(PosixProcessLauncher().Adopt(h));
}

TEST_F(ProcessTest, SecondWatchdogIsRefused) {
  Result<std::unique_ptr<WatchdogLock>> first = WatchdogLock::Acquire(store_.LockPath());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(WatchdogLock::Holder(store_.LockPath()), getpid());
  Result<std::unique_ptr<WatchdogLock>> second = WatchdogLock::Acquire(store_.LockPath());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kFailedPrecondition);

  std::string cmd = "CC_CI_SUPERVISOR_STATE_DIR='" + store_.dir() + "' " + CCCI_SUPERVISOR_BIN +
                    " --repo '" + dir_.File("repo") + "' watchdog 2>'" + dir_.File("err") + "'";
  int status = std::system(cmd.c_str());
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_NE(ReadFileOrDie(dir_.File("err")).find("another watchdog is running"), std::string::npos);

  first->reset();
  EXPECT_FALSE(WatchdogLock::Holder(store_.LockPath()).has_value());
  EXPECT_TRUE(WatchdogLock::Acquire(store_.LockPath()).ok());
}

// The orchestrator keeps one claude conversation: a restart of the supervisor re-adopts the
// running session, and after a restart of the machine (simulated: the agent is gone and
// its saved handle names another boot) the new session resumes the same id.
TEST_F(ProcessTest, OrchestratorResumesTheSameSessionAcrossSupervisorAndMachineRestarts) {
  WriteFile(dir_.File("repo/prompts/orchestrator.md"), "You are the Orchestrator.\n");
  Mode("hang");
  ASSERT_TRUE(store_.WriteWant(kOrchestrator, true).ok());
  int first = 0;
  {
    PosixProcessLauncher launcher;
    auto wd = MakeWatchdog(&launcher);
    wd->Recover();
    ASSERT_TRUE(TickUntil(*wd, [&] { return wd->loop(kOrchestrator).session_id == "sess-1"; }));
    first = wd->loop(kOrchestrator).agent.pid;
    to_kill_.push_back(first);
  }
  {
    PosixProcessLauncher launcher;
    auto wd = MakeWatchdog(&launcher);
    wd->Recover();
    wd->Tick();
    EXPECT_EQ(wd->loop(kOrchestrator).agent.pid, first) << "a live session is re-adopted";
    EXPECT_EQ(CountCalls(agent_dir_), 1);
  }
  kill(-first, SIGKILL);  // the machine goes down...
  waitpid(first, nullptr, 0);
  LoopState saved = *store_.LoadLoop(kOrchestrator);
  saved.agent.boot_id = "an-earlier-boot";  // ...and comes back up
  ASSERT_TRUE(store_.SaveLoop(saved).ok());

  PosixProcessLauncher launcher;
  auto wd = MakeWatchdog(&launcher);
  wd->Recover();
  EXPECT_EQ(wd->loop(kOrchestrator).last_reason, "the machine restarted while the agent ran");
  wd->Tick();
  int second = wd->loop(kOrchestrator).agent.pid;
  to_kill_.push_back(second);
  ASSERT_NE(second, 0);
  ASSERT_TRUE(WaitFor([&] { return CountCalls(agent_dir_) == 2; }));
  EXPECT_NE(ReadFileOrDie(agent_dir_ + "/calls").find("--resume\nsess-1\n--\n"), std::string::npos);
  ASSERT_TRUE(TickUntil(*wd, [&] { return wd->loop(kOrchestrator).init_seen; }));
  EXPECT_EQ(wd->loop(kOrchestrator).session_id, "sess-1") << "the same conversation goes on";
  EXPECT_TRUE(wd->loop(kOrchestrator).crash_times_ms.empty());
  EXPECT_NE(ReadFileOrDie(agent_dir_ + "/prompt.2").find("machine restarted"), std::string::npos);

  ASSERT_TRUE(store_.WriteWant(kOrchestrator, false).ok());
  wd->Tick();
  EXPECT_TRUE(LiveGroupMembers(second).empty());
}

TEST_F(ProcessTest, OrchestratorWhoseSessionClaudeNoLongerKnowsStartsFresh) {
  WriteFile(dir_.File("repo/prompts/orchestrator.md"), "You are the Orchestrator.\n");
  Mode("hang");
  LoopState saved;
  saved.name = kOrchestrator;
  saved.session_id = "sess-forgotten";  // not among the fake's sessions
  ASSERT_TRUE(store_.SaveLoop(saved).ok());
  ASSERT_TRUE(store_.WriteWant(kOrchestrator, true).ok());
  PosixProcessLauncher launcher;
  auto wd = MakeWatchdog(&launcher);
  wd->Recover();
  ASSERT_TRUE(TickUntil(*wd, [&] { return wd->loop(kOrchestrator).session_id == "sess-2"; }));
  to_kill_.push_back(wd->loop(kOrchestrator).agent.pid);
  std::string calls = ReadFileOrDie(agent_dir_ + "/calls");
  EXPECT_NE(calls.find("--resume\nsess-forgotten\n--\n"), std::string::npos) << calls;
  EXPECT_EQ(calls.find("--resume", calls.find("sess-forgotten")), std::string::npos)
      << "the second start must not resume: " << calls;
  std::string prompt = ReadFileOrDie(agent_dir_ + "/prompt.2");
  EXPECT_NE(prompt.find("You are the Orchestrator."), std::string::npos);
  EXPECT_NE(prompt.find("sess-forgotten"), std::string::npos);
  EXPECT_NE(prompt.find("Read JOURNAL.md first"), std::string::npos);
  EXPECT_NE(wd->loop(kOrchestrator).session_note.find("no longer knew session sess-forgotten"),
            std::string::npos);
  EXPECT_TRUE(wd->loop(kOrchestrator).crash_times_ms.empty());
  EXPECT_NE(ReadFileOrDie(store_.LogPath(kOrchestrator)).find("No conversation found"),
            std::string::npos);
  ASSERT_TRUE(store_.WriteWant(kOrchestrator, false).ok());
  wd->Tick();
}

// The orchestrator is one conversation with opencode too: the second start continues the
// first session (`--session`), with the short check-in prompt.
TEST_F(ProcessTest, OpencodeOrchestratorIsOneConversation) {
  WriteFile(dir_.File("repo/prompts/orchestrator.md"), "You are the Orchestrator.\n");
  config_.backend = Backend::kOpencode;
  config_.opencode_url = "http://127.0.0.1:4096";
  Mode("ok");
  PosixProcessLauncher launcher;
  auto wd = MakeWatchdog(&launcher);
  ASSERT_TRUE(store_.WriteWant(kOrchestrator, true).ok());
  for (int start = 1; start <= 2; ++start) {
    ASSERT_TRUE(TickUntil(*wd, [&] {
      return wd->loop(kOrchestrator).iteration == start && wd->loop(kOrchestrator).agent.pid == 0;
    }));
    clock_.Advance(config_.orchestrator_interval);
  }
  EXPECT_EQ(ReadFileOrDie(agent_dir_ + "/prompt.1").rfind("You are the Orchestrator.\n", 0), 0u);
  std::string second = ReadFileOrDie(agent_dir_ + "/prompt.2");
  EXPECT_NE(second.find("turn 2 of your orchestrator conversation"), std::string::npos) << second;
  std::string calls = ReadFileOrDie(agent_dir_ + "/calls");
  EXPECT_NE(calls.find("--title\ncc-ci orchestrator #2\n-m\nsonnet\n--session\nses_fake1\n"),
            std::string::npos)
      << calls;
  ASSERT_TRUE(store_.WriteWant(kOrchestrator, false).ok());
  wd->Tick();
}

// The real opencode without a provider login ends in an error event: fatal at once.
TEST_F(ProcessTest, OpencodeWithoutALoginIsFatalAtOnce) {
  config_.backend = Backend::kOpencode;
  Mode("auth");
  PosixProcessLauncher launcher;
  auto wd = MakeWatchdog(&launcher);
  ASSERT_TRUE(store_.WriteWant("reviewer", true).ok());
  ASSERT_TRUE(TickUntil(*wd, [&] { return wd->loop("reviewer").phase == LoopPhase::kFatal; }));
  EXPECT_EQ(CountCalls(agent_dir_), 1);
  EXPECT_NE(wd->loop("reviewer").last_reason.find("not logged in: No API key for anthropic"),
            std::string::npos)
      << wd->loop("reviewer").last_reason;
}

TEST_F(ProcessTest, AGroupRecordedBeforeTheLastBootIsNeverSignalled) {
  Mode("hang");
  PosixProcessLauncher launcher;
  AgentCommand cmd{{config_.claude_bin, "-p", "go"}, CurrentEnvironment(), dir_.path()};
  Result<AgentHandle> h = launcher.Launch(cmd, dir_.File("out"));
  ASSERT_TRUE(h.ok());
  to_kill_.push_back(h->pid);
  EXPECT_EQ(h->boot_id, CurrentBootId());
  AgentHandle stale = *h;  // the same numbers, recorded in an earlier boot
  stale.boot_id = "an-earlier-boot";
  EXPECT_FALSE(launcher.Adopt(stale));
  EXPECT_FALSE(launcher.FromThisBoot(stale));
  launcher.StopGroup(stale, Seconds(1));
  EXPECT_FALSE(LiveGroupMembers(h->pid).empty()) << "a stranger's group was signalled";
  launcher.StopGroup(*h, Seconds(1));
  EXPECT_TRUE(LiveGroupMembers(h->pid).empty());
}

TEST_F(ProcessTest, RotatingLogKeepsBoundedFiles) {
  RotatingLog log(dir_.File("x.log"), 100, 2);
  for (int i = 0; i < 50; ++i) log.Append("line " + std::to_string(i) + " of the log");
  EXPECT_LE(std::filesystem::file_size(dir_.File("x.log")), 100u);
  EXPECT_TRUE(std::filesystem::exists(dir_.File("x.log.1")));
  EXPECT_TRUE(std::filesystem::exists(dir_.File("x.log.2")));
  EXPECT_FALSE(std::filesystem::exists(dir_.File("x.log.3")));
  EXPECT_NE(ReadFileOrDie(dir_.File("x.log")).find("line 49"), std::string::npos);
}

}  // namespace
}  // namespace ccci::supervisor
