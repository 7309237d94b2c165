#include "supervisor/watchdog.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "tests/supervisor/watchdog_fixture.h"

namespace ccci::supervisor {
namespace {

using testing::After;
using testing::AssistantLine;
using ::testing::Contains;
using testing::Has;
using testing::InitLine;
using ::testing::Not;
using testing::RateLimitLine;
using testing::ResultLine;
using testing::WatchdogTest;

TEST_F(WatchdogTest, LaunchesWantedLoopWithClaudeCommandAndCleanEnvironment) {
  Want("builder");
  wd().Tick();
  ASSERT_EQ(launcher_.launches.size(), 1u);  // the reviewer is not wanted
  const AgentCommand& cmd = launcher_.launches[0];
  EXPECT_EQ(cmd.argv[0], "claude");
  EXPECT_EQ(cmd.argv[1], "-p");
  EXPECT_THAT(cmd.argv[2], ::testing::HasSubstr("You are the Builder."));
  EXPECT_THAT(cmd.argv[2], ::testing::HasSubstr("plans/01-first.md"));
  EXPECT_EQ(After(cmd.argv, "--output-format"), "stream-json");
  EXPECT_TRUE(Has(cmd.argv, "--verbose"));
  EXPECT_EQ(After(cmd.argv, "--model"), "opus");
  EXPECT_FALSE(Has(cmd.argv, "--resume"));
  EXPECT_EQ(cmd.env.count("CLAUDECODE"), 0u);
  EXPECT_EQ(cmd.env.count("CLAUDE_CODE_ENTRYPOINT"), 0u);
  EXPECT_EQ(cmd.env.at("HOME"), "/root");
  EXPECT_EQ(cmd.cwd, config_.repo);
  EXPECT_EQ(builder().phase, LoopPhase::kRunning);
  EXPECT_EQ(builder().iteration, 1);
}

TEST_F(WatchdogTest, CrashLoopBacksOffDoublingThenGoesFatal) {
  Want("builder");
  wd().Tick();
  // Delays 10 s, 20 s, 40 s, then the 4th crash within 600 s is fatal.
  for (int delay : {10, 20, 40}) {
    launcher_.Exit(1);
    AdvanceAndTick(1);
    ASSERT_EQ(builder().phase, LoopPhase::kBackoff);
    EXPECT_EQ(builder().wait_until_ms - Now(), delay * 1000);
    size_t launches = launcher_.launches.size();
    AdvanceAndTick(delay - 1);
    EXPECT_EQ(launcher_.launches.size(), launches) << "relaunched before its backoff";
    AdvanceAndTick(1);
    EXPECT_EQ(launcher_.launches.size(), launches + 1);
  }
  launcher_.Exit(1);
  AdvanceAndTick(1);
  EXPECT_EQ(builder().phase, LoopPhase::kFatal);
  EXPECT_THAT(builder().last_reason, ::testing::HasSubstr("4 crashes"));
  size_t launches = launcher_.launches.size();
  AdvanceAndTick(10000);
  EXPECT_EQ(launcher_.launches.size(), launches) << "a fatal loop must stay down";
  EXPECT_EQ(store_.LoadLoop("builder")->phase, LoopPhase::kFatal);

  Want("builder");  // the operator's `start` clears fatal
  AdvanceAndTick(1);
  EXPECT_EQ(builder().phase, LoopPhase::kRunning);
  EXPECT_EQ(launcher_.launches.size(), launches + 1);
}

TEST_F(WatchdogTest, BackoffIsJitteredAndCapped) {
  config_.fatal_crashes = 100;
  rng_ = 0.0;  // -20 %
  Want("builder");
  wd().Tick();
  launcher_.Exit(1);
  AdvanceAndTick(1);
  EXPECT_EQ(builder().wait_until_ms - Now(), 8000);
  rng_ = 0.999;  // about +20 %, but never past backoff_max
  for (int i = 0; i < 6; ++i) {
    AdvanceAndTick(100);
    ASSERT_EQ(builder().phase, LoopPhase::kRunning);
    launcher_.Exit(1);
    AdvanceAndTick(1);
  }
  EXPECT_EQ(builder().wait_until_ms - Now(), 100000);
}

TEST_F(WatchdogTest, StableRunResetsBackoff) {
  Want("builder");
  wd().Tick();
  launcher_.Exit(1);
  AdvanceAndTick(1);
  AdvanceAndTick(10);
  launcher_.Exit(1);
  AdvanceAndTick(1);
  EXPECT_EQ(builder().wait_until_ms - Now(), 20000);
  AdvanceAndTick(20);
  for (int i = 0; i < 7; ++i) {  // 700 s of steady output
    launcher_.Emit(AssistantLine("working"));
    AdvanceAndTick(100);
  }
  launcher_.Exit(1);
  AdvanceAndTick(1);
  EXPECT_EQ(builder().phase, LoopPhase::kBackoff);
  EXPECT_EQ(builder().wait_until_ms - Now(), 10000);
  EXPECT_EQ(builder().crash_times_ms.size(), 1u);
}

TEST_F(WatchdogTest, StalledSessionIsKilledAndResumedWithItsSessionId) {
  Want("builder");
  wd().Tick();
  launcher_.Emit(InitLine("9f3c2a7e-session"));
  launcher_.Emit(AssistantLine("reading the plan"));
  AdvanceAndTick(1);
  EXPECT_EQ(builder().session_id, "9f3c2a7e-session");
  int first = launcher_.last_pid;
  AdvanceAndTick(299);
  EXPECT_TRUE(launcher_.Running()) << "killed before stall_after";
  AdvanceAndTick(1);
  EXPECT_THAT(launcher_.stopped, Contains(first));
  ASSERT_EQ(launcher_.launches.size(), 2u);
  EXPECT_EQ(After(launcher_.LastArgv(), "--resume"), "9f3c2a7e-session");
  EXPECT_EQ(builder().heals, 1);
  EXPECT_EQ(builder().restarts, 1);
  EXPECT_TRUE(builder().crash_times_ms.empty()) << "a heal is not a crash";
  EXPECT_THAT(builder().last_reason, ::testing::HasSubstr("stall"));
}

TEST_F(WatchdogTest, CrashedSessionResumesTheSessionFromTheStream) {
  Want("builder");
  wd().Tick();
  launcher_.Emit(InitLine("first-session"));
  launcher_.Exit(1);
  AdvanceAndTick(1);
  AdvanceAndTick(10);
  EXPECT_EQ(After(launcher_.LastArgv(), "--resume"), "first-session");
  launcher_.Emit(InitLine("first-session"));
  launcher_.Emit(ResultLine(false));
  launcher_.Exit(0);
  AdvanceAndTick(1);
  AdvanceAndTick(10);
  ASSERT_EQ(launcher_.launches.size(), 3u);
  EXPECT_FALSE(Has(launcher_.LastArgv(), "--resume")) << "a finished iteration starts fresh";
}

TEST_F(WatchdogTest, RefusedResumeStartsAFreshSessionNext) {
  Want("builder");
  wd().Tick();
  launcher_.Emit(InitLine("gone-session"));
  launcher_.Exit(1);
  AdvanceAndTick(1);
  AdvanceAndTick(10);
  EXPECT_EQ(After(launcher_.LastArgv(), "--resume"), "gone-session");
  launcher_.Emit("No conversation found with session ID: gone-session");
  launcher_.Exit(1);
  AdvanceAndTick(1);
  EXPECT_TRUE(builder().session_id.empty());
  AdvanceAndTick(20);
  ASSERT_EQ(launcher_.launches.size(), 3u);
  EXPECT_FALSE(Has(launcher_.LastArgv(), "--resume"));
}

TEST_F(WatchdogTest, SessionHangingAfterResultIsKilledAfterGrace) {
  Want("builder");
  wd().Tick();
  launcher_.Emit(InitLine("s1"));
  launcher_.Emit(ResultLine(false));
  AdvanceAndTick(1);
  int pid = launcher_.last_pid;
  AdvanceAndTick(59);
  EXPECT_TRUE(launcher_.Running());
  EXPECT_THAT(launcher_.stopped, Not(Contains(pid)));
  AdvanceAndTick(1);
  EXPECT_THAT(launcher_.stopped, Contains(pid));
  EXPECT_TRUE(builder().crash_times_ms.empty()) << "its result was a success";
  EXPECT_THAT(builder().last_reason, ::testing::HasSubstr("after its result"));
  // The next iteration follows at once: the session started more than backoff_initial ago.
  EXPECT_EQ(launcher_.launches.size(), 2u);
  EXPECT_EQ(builder().iteration, 2);
}

TEST_F(WatchdogTest, RateLimitSleepsUntilResetWithoutCountingACrash) {
  Want("builder");
  wd().Tick();
  int64_t resets_at = Now() / 1000 + 3600;
  launcher_.Emit(InitLine("s-rl"));
  launcher_.Emit(RateLimitLine("rejected", resets_at));
  launcher_.Emit(ResultLine(true));
  launcher_.Exit(1);
  AdvanceAndTick(1);
  EXPECT_EQ(builder().phase, LoopPhase::kRateLimited);
  EXPECT_EQ(builder().wait_until_ms, resets_at * 1000);
  EXPECT_TRUE(builder().crash_times_ms.empty());
  AdvanceAndTick(3598);
  EXPECT_EQ(launcher_.launches.size(), 1u);
  AdvanceAndTick(1);
  ASSERT_EQ(launcher_.launches.size(), 2u);
  EXPECT_EQ(After(launcher_.LastArgv(), "--resume"), "s-rl");
}

TEST_F(WatchdogTest, RateLimitWhileStillRunningKillsAndSleepsClamped) {
  Want("builder");
  wd().Tick();
  launcher_.Emit(RateLimitLine("rejected", Now() / 1000 + 10 * 24 * 3600));
  AdvanceAndTick(1);
  EXPECT_FALSE(launcher_.Running());
  EXPECT_EQ(builder().phase, LoopPhase::kRateLimited);
  EXPECT_EQ(builder().wait_until_ms - Now(), 7200 * 1000) << "clamped to rate_limit_max";
}

TEST_F(WatchdogTest, RateLimitInPastIsClampedToMinimum) {
  Want("builder");
  wd().Tick();
  launcher_.Emit(RateLimitLine("rejected", Now() / 1000 - 100));
  AdvanceAndTick(1);
  EXPECT_EQ(builder().wait_until_ms - Now(), 60 * 1000);
}

TEST_F(WatchdogTest, AllowedRateLimitEventIsOnlyInformation) {
  Want("builder");
  wd().Tick();
  launcher_.Emit(RateLimitLine("allowed_warning", Now() / 1000 + 600));
  AdvanceAndTick(1);
  EXPECT_TRUE(launcher_.Running());
  EXPECT_EQ(builder().phase, LoopPhase::kRunning);
}

TEST_F(WatchdogTest, NoCommitOrJournalProgressIsHealed) {
  config_.progress_every = Seconds(30);
  Want("builder");
  wd().Tick();
  launcher_.Emit(InitLine("busy"));
  for (int t = 0; t < 3570; t += 30) {  // chatty, but nothing lands
    launcher_.Emit(AssistantLine("still thinking"));
    AdvanceAndTick(30);
  }
  EXPECT_EQ(launcher_.launches.size(), 1u);
  launcher_.Emit(AssistantLine("still thinking"));
  AdvanceAndTick(30);
  ASSERT_EQ(launcher_.launches.size(), 2u);
  EXPECT_EQ(After(launcher_.LastArgv(), "--resume"), "busy");
  EXPECT_THAT(builder().last_reason, ::testing::HasSubstr("no progress"));
}

TEST_F(WatchdogTest, CommitsKeepALongSessionAlive) {
  Want("builder");
  wd().Tick();
  for (int t = 0; t < 3 * 3600; t += 30) {
    launcher_.Emit(AssistantLine("committing"));
    repo_.stamp = "head-" + std::to_string(t / 600);  // a commit every 10 minutes
    AdvanceAndTick(30);
  }
  EXPECT_EQ(launcher_.launches.size(), 1u);
  EXPECT_EQ(builder().heals, 0);
}

TEST_F(WatchdogTest, PlanDoneOnMainStopsEveryLoop) {
  Want("builder");
  Want("reviewer");
  EXPECT_EQ(wd().Tick(), Watchdog::Outcome::kContinue);
  EXPECT_EQ(launcher_.launches.size(), 2u);
  repo_.plan.current = 1;
  EXPECT_EQ(AdvanceAndTick(30), Watchdog::Outcome::kContinue);
  EXPECT_EQ(wd().info().phase_file, "plans/02-second.md");
  EXPECT_EQ(launcher_.launches.size(), 2u) << "a new phase does not restart the loops";
  repo_.plan.current = 2;
  EXPECT_EQ(AdvanceAndTick(30), Watchdog::Outcome::kAllDone);
  EXPECT_EQ(launcher_.stopped.size(), 2u);
  EXPECT_EQ(builder().phase, LoopPhase::kDone);
  EXPECT_EQ(wd().loop("reviewer").phase, LoopPhase::kDone);
  EXPECT_TRUE(store_.LoadWatchdog().all_done);
}

TEST_F(WatchdogTest, FailingPlanCheckIsNeverDone) {
  repo_.plan_ok = false;
  Want("builder");
  for (int i = 0; i < 10; ++i) EXPECT_EQ(AdvanceAndTick(30), Watchdog::Outcome::kContinue);
  EXPECT_EQ(builder().phase, LoopPhase::kRunning);
  EXPECT_GE(repo_.plan_reads, 10);
}

TEST_F(WatchdogTest, StopWantStopsTheGroup) {
  Want("builder");
  wd().Tick();
  int pid = launcher_.last_pid;
  Want("builder", false);
  AdvanceAndTick(1);
  EXPECT_THAT(launcher_.stopped, Contains(pid));
  EXPECT_EQ(builder().phase, LoopPhase::kStopped);
  EXPECT_EQ(builder().agent.pid, 0);
  AdvanceAndTick(100);
  EXPECT_EQ(launcher_.launches.size(), 1u);
}

// opencode sessions used to be new every time: a stalled one is now resumed with its id, as
// claude's are, and the id is read from its JSON events (it has no init line).
TEST_F(WatchdogTest, OpencodeResumesAStalledSessionFromItsJsonEvents) {
  config_.backend = Backend::kOpencode;
  config_.opencode_url = "http://127.0.0.1:4096";
  Want("reviewer");
  wd().Tick();
  const std::vector<std::string>& argv = launcher_.LastArgv();
  EXPECT_EQ(argv[0], "opencode");
  EXPECT_EQ(argv[1], "run");
  EXPECT_EQ(After(argv, "--attach"), "http://127.0.0.1:4096");
  EXPECT_EQ(After(argv, "--format"), "json");
  EXPECT_EQ(After(argv, "--title"), "cc-ci reviewer #1");
  EXPECT_EQ(After(argv, "-m"), "opus");
  EXPECT_FALSE(Has(argv, "--session"));
  EXPECT_THAT(argv.back(), ::testing::HasSubstr("You are the Reviewer."));
  EXPECT_THAT(argv.back(), ::testing::HasSubstr("JOURNAL.md"));
  launcher_.Emit(R"({"type":"text","timestamp":1796197557005,"sessionID":"ses_1a2b",)"
                 R"("part":{"type":"text","text":"Reading JOURNAL.md"}})");
  AdvanceAndTick(1);
  EXPECT_EQ(wd().loop("reviewer").session_id, "ses_1a2b");
  EXPECT_EQ(wd().loop("reviewer").last_output, "assistant: Reading JOURNAL.md");
  AdvanceAndTick(300);  // stall
  ASSERT_EQ(launcher_.launches.size(), 2u);
  EXPECT_EQ(After(launcher_.LastArgv(), "--session"), "ses_1a2b");
  EXPECT_EQ(After(launcher_.LastArgv(), "--title"), "cc-ci reviewer #2");
  // opencode no longer knows it: the next session starts fresh.
  launcher_.Emit("Error: Session not found");
  launcher_.Exit(1);
  AdvanceAndTick(1);
  ASSERT_EQ(launcher_.launches.size(), 3u);
  EXPECT_FALSE(Has(launcher_.LastArgv(), "--session"));
}

// What the real claude 2.1 prints without a login (captured offline), then exit 1: the loop
// backed off five times before going fatal, as if a retry could log it in.
TEST_F(WatchdogTest, NotLoggedInIsFatalAtOnceWithClaudesMessage) {
  Want("builder");
  wd().Tick();
  launcher_.Emit(InitLine("7f56950b-7e6a-4a94-a7d5-2ca05bf39c1b"));
  launcher_.Emit(
      R"({"type":"assistant","message":{"id":"a0f9","model":"<synthetic>","role":"assistant",)"
      R"("stop_reason":"stop_sequence","type":"message","content":[{"type":"text","text":)"
      R"("Not logged in · Please run /login"}]},"parent_tool_use_id":null,)"
      R"("session_id":"7f56950b-7e6a-4a94-a7d5-2ca05bf39c1b","error":"authentication_failed"})");
  launcher_.Emit(R"({"type":"result","subtype":"success","is_error":true,"num_turns":1,)"
                 R"("result":"Not logged in · Please run /login",)"
                 R"("session_id":"7f56950b-7e6a-4a94-a7d5-2ca05bf39c1b"})");
  launcher_.Exit(1);
  AdvanceAndTick(1);
  EXPECT_EQ(builder().phase, LoopPhase::kFatal);
  EXPECT_THAT(builder().last_reason,
              ::testing::HasSubstr("not logged in: Not logged in \u00b7 Please run /login"));
  size_t launches = launcher_.launches.size();
  AdvanceAndTick(10000);
  EXPECT_EQ(launcher_.launches.size(), launches) << "no retries: a login does not come back alone";
}

TEST_F(WatchdogTest, AnOpencodeProviderAuthErrorIsFatalAtOnce) {
  config_.backend = Backend::kOpencode;
  Want("reviewer");
  wd().Tick();
  launcher_.Emit(R"({"type":"error","timestamp":1796197557005,"sessionID":"ses_9",)"
                 R"("error":{"name":"ProviderAuthError","data":{"providerID":"anthropic",)"
                 R"("message":"No API key for anthropic"}}})");
  launcher_.Exit(1);
  AdvanceAndTick(1);
  EXPECT_EQ(wd().loop("reviewer").phase, LoopPhase::kFatal);
  EXPECT_THAT(wd().loop("reviewer").last_reason,
              ::testing::HasSubstr("not logged in: No API key for anthropic"));
}

TEST_F(WatchdogTest, RestartedWatchdogReadoptsLiveAgentAndRelaunchesDeadOne) {
  Want("builder");
  Want("reviewer");
  wd().Tick();
  launcher_.Emit(InitLine("rev-session"));  // the reviewer launched last
  AdvanceAndTick(1);
  int builder_pid = wd().loop("builder").agent.pid;
  int reviewer_pid = wd().loop("reviewer").agent.pid;
  wd_.reset();                                     // the supervisor goes away; the agents do not
  launcher_.agents[reviewer_pid].running = false;  // ...but the reviewer dies meanwhile

  wd().Recover();
  EXPECT_EQ(wd().loop("builder").phase, LoopPhase::kRunning);
  EXPECT_EQ(wd().loop("builder").agent.pid, builder_pid);
  EXPECT_THAT(launcher_.stopped, Contains(reviewer_pid)) << "leftovers of the dead group";
  AdvanceAndTick(1);
  ASSERT_EQ(launcher_.launches.size(), 3u);
  EXPECT_EQ(After(launcher_.LastArgv(), "--resume"), "rev-session");
  EXPECT_EQ(wd().loop("builder").agent.pid, builder_pid);
  EXPECT_EQ(wd().loop("builder").iteration, 1);
}

TEST_F(WatchdogTest, MissingPromptFileCountsAsCrash) {
  std::filesystem::remove(dir_.File("repo/prompts/builder.md"));
  Want("builder");
  wd().Tick();
  EXPECT_TRUE(launcher_.launches.empty());
  EXPECT_EQ(builder().phase, LoopPhase::kBackoff);
  EXPECT_THAT(builder().last_reason, ::testing::HasSubstr("missing prompt"));
}

}  // namespace
}  // namespace ccci::supervisor
