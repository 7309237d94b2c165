// The orchestrator session under the watchdog, on the fake clock and launcher: its startup
// prompt, one conversation resumed turn after turn, its own stall limit, no no-progress
// heal, a lost conversation replaced by a fresh one at once, and the opencode path.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/log.h"
#include "tests/supervisor/watchdog_fixture.h"

namespace ccci::supervisor {
namespace {

using testing::After;
using testing::AssistantLine;
using testing::Has;
using ::testing::HasSubstr;
using testing::InitLine;
using ::testing::Not;
using testing::ResultLine;

class OrchestratorTest : public testing::WatchdogTest {
 protected:
  OrchestratorTest() {
    config_.orchestrator_stall_after = Seconds(1800);
    config_.orchestrator_interval = Seconds(600);
    SetLogSink([this](const std::string& line) { log_ += line + "\n"; });
  }
  ~OrchestratorTest() override { SetLogSink(nullptr); }
  const LoopState& orch() { return wd().loop(kOrchestrator); }
  const std::string& Prompt() { return launcher_.LastArgv()[2]; }  // claude -p PROMPT

  std::string log_;
};

TEST_F(OrchestratorTest, StartupPromptSendsItToTheJournalFirst) {
  Want(kOrchestrator);
  wd().Tick();
  ASSERT_EQ(launcher_.launches.size(), 1u) << "only the orchestrator is wanted";
  EXPECT_EQ(launcher_.LastArgv()[0], "claude");
  EXPECT_FALSE(Has(launcher_.LastArgv(), "--resume"));
  EXPECT_EQ(After(launcher_.LastArgv(), "--model"), "opus");
  EXPECT_THAT(Prompt(), HasSubstr("You are the Orchestrator."));
  EXPECT_THAT(Prompt(), HasSubstr("Read JOURNAL.md first"));
  EXPECT_THAT(Prompt(), HasSubstr("append your summary there"));
  EXPECT_THAT(Prompt(), HasSubstr("plans/01-first.md"));
  EXPECT_EQ(orch().phase, LoopPhase::kRunning);
  EXPECT_EQ(wd().loop("builder").phase, LoopPhase::kStopped);
}

TEST_F(OrchestratorTest, AFinishedTurnIsResumedInTheSameConversationAfterTheInterval) {
  Want(kOrchestrator);
  wd().Tick();
  launcher_.Emit(InitLine("orch-1"));
  launcher_.Emit(ResultLine(false));
  launcher_.Exit(0);
  AdvanceAndTick(5);
  EXPECT_EQ(orch().phase, LoopPhase::kBackoff);
  EXPECT_EQ(orch().wait_until_ms - Now(), 600 * 1000);
  EXPECT_TRUE(orch().crash_times_ms.empty());
  AdvanceAndTick(599);
  EXPECT_EQ(launcher_.launches.size(), 1u) << "resumed before orchestrator_interval";
  AdvanceAndTick(1);
  ASSERT_EQ(launcher_.launches.size(), 2u);
  EXPECT_EQ(After(launcher_.LastArgv(), "--resume"), "orch-1");
  EXPECT_THAT(Prompt(), HasSubstr("Check in"));
  EXPECT_THAT(Prompt(), Not(HasSubstr("You are the Orchestrator.")))
      << "a resumed conversation has its role already";
  EXPECT_EQ(orch().restarts, 0) << "a new turn is not a restart";
}

TEST_F(OrchestratorTest, StallUsesItsOwnLimitAndResumes) {
  Want(kOrchestrator);
  Want("builder");
  wd().Tick();
  int orch_pid = orch().agent.pid;
  launcher_.agents[orch_pid].pending.push_back(InitLine("orch-quiet"));
  AdvanceAndTick(1);
  AdvanceAndTick(300);  // the loops' stall_after
  EXPECT_EQ(wd().loop("builder").heals, 1) << "the builder stalls at stall_after";
  EXPECT_EQ(orch().heals, 0) << "the orchestrator has orchestrator_stall_after";
  EXPECT_EQ(orch().agent.pid, orch_pid);
  Want("builder", false);
  AdvanceAndTick(1499);  // 1799 s since its last line
  EXPECT_EQ(orch().heals, 0) << "healed before 1800 s of silence";
  AdvanceAndTick(1);
  EXPECT_EQ(orch().heals, 1);
  EXPECT_THAT(launcher_.stopped, ::testing::Contains(orch_pid));
  EXPECT_EQ(After(launcher_.LastArgv(), "--resume"), "orch-quiet");
  EXPECT_THAT(Prompt(), HasSubstr("cut short"));
  EXPECT_THAT(orch().last_reason, HasSubstr("stall: no output for 1800s"));
}

TEST_F(OrchestratorTest, NoCommitsIsNotAReasonToKillIt) {
  config_.progress_every = Seconds(30);
  Want(kOrchestrator);
  wd().Tick();
  for (int t = 0; t < 2 * 3600; t += 60) {  // talkative, never commits
    launcher_.Emit(AssistantLine("watching the loops"));
    AdvanceAndTick(60);
  }
  EXPECT_EQ(launcher_.launches.size(), 1u);
  EXPECT_EQ(orch().heals, 0);
}

TEST_F(OrchestratorTest, CrashesBackOffAndResumeLikeALoop) {
  Want(kOrchestrator);
  wd().Tick();
  launcher_.Emit(InitLine("orch-2"));
  launcher_.Exit(1);
  AdvanceAndTick(1);
  EXPECT_EQ(orch().phase, LoopPhase::kBackoff);
  EXPECT_EQ(orch().wait_until_ms - Now(), 10 * 1000);
  AdvanceAndTick(10);
  EXPECT_EQ(After(launcher_.LastArgv(), "--resume"), "orch-2");
  EXPECT_EQ(orch().restarts, 1);
}

TEST_F(OrchestratorTest, UnknownSessionIdStartsAFreshSessionAtOnceAndSaysSo) {
  // A supervisor restart finds a saved conversation that claude no longer has.
  LoopState saved;
  saved.name = kOrchestrator;
  saved.phase = LoopPhase::kStopped;
  saved.session_id = "gone-4b1d";
  saved.iteration = 7;
  ASSERT_TRUE(store_.SaveLoop(saved).ok());
  Want(kOrchestrator);
  wd().Recover();
  wd().Tick();
  ASSERT_EQ(launcher_.launches.size(), 1u);
  EXPECT_EQ(After(launcher_.LastArgv(), "--resume"), "gone-4b1d");
  launcher_.Emit("No conversation found with session ID: gone-4b1d");
  launcher_.Exit(1);
  AdvanceAndTick(1);

  ASSERT_EQ(launcher_.launches.size(), 2u) << "the fresh session starts at once";
  EXPECT_FALSE(Has(launcher_.LastArgv(), "--resume"));
  EXPECT_THAT(Prompt(), HasSubstr("You are the Orchestrator."));
  EXPECT_THAT(Prompt(), HasSubstr("gone-4b1d"));
  EXPECT_THAT(Prompt(), HasSubstr("JOURNAL.md is your memory"));
  EXPECT_TRUE(orch().crash_times_ms.empty()) << "a lost conversation is not a crash";
  EXPECT_EQ(orch().phase, LoopPhase::kRunning);
  EXPECT_THAT(orch().session_note, HasSubstr("claude no longer knew session gone-4b1d"));
  EXPECT_THAT(orch().last_reason, HasSubstr("resume refused"));
  EXPECT_THAT(log_, HasSubstr("event=loop.resume_refused loop=orchestrator session=gone-4b1d"));

  launcher_.Emit(InitLine("orch-new"));
  AdvanceAndTick(1);
  EXPECT_EQ(orch().session_id, "orch-new");
  EXPECT_EQ(store_.LoadLoop(kOrchestrator)->session_note, orch().session_note)
      << "status reads the note from the saved state";
}

TEST_F(OrchestratorTest, OpencodeGoesOnWithItsSession) {
  config_.backend = Backend::kOpencode;
  config_.opencode_url = "http://127.0.0.1:4096";
  Want(kOrchestrator);
  wd().Tick();
  for (int start = 1; start <= 2; ++start) {
    const std::vector<std::string>& argv = launcher_.LastArgv();
    ASSERT_EQ(argv[0], "opencode");
    EXPECT_EQ(argv[1], "run");
    EXPECT_EQ(After(argv, "--attach"), "http://127.0.0.1:4096");
    EXPECT_EQ(After(argv, "--title"), "cc-ci orchestrator #" + std::to_string(start));
    if (start == 1) {
      EXPECT_FALSE(Has(argv, "--session"));
      EXPECT_THAT(argv.back(), HasSubstr("You are the Orchestrator."));
      EXPECT_THAT(argv.back(), HasSubstr("Read JOURNAL.md first"));
    } else {
      EXPECT_EQ(After(argv, "--session"), "ses_orch");
      EXPECT_THAT(argv.back(), HasSubstr("turn 2 of your orchestrator conversation"));
    }
    launcher_.Emit(R"({"type":"step_finish","timestamp":1,"sessionID":"ses_orch",)"
                   R"("part":{"type":"step-finish","reason":"stop"}})");
    launcher_.Exit(0);
    AdvanceAndTick(1);
    AdvanceAndTick(600);
  }
  EXPECT_EQ(launcher_.launches.size(), 3u);
}

TEST_F(OrchestratorTest, StopWantStopsOnlyItAndPlanDoneStopsIt) {
  Want(kOrchestrator);
  Want("builder");
  wd().Tick();
  int orch_pid = orch().agent.pid;
  Want(kOrchestrator, false);
  AdvanceAndTick(1);
  EXPECT_THAT(launcher_.stopped, ::testing::ElementsAre(orch_pid));
  EXPECT_EQ(orch().phase, LoopPhase::kStopped);
  EXPECT_EQ(wd().loop("builder").phase, LoopPhase::kRunning);

  Want(kOrchestrator);
  AdvanceAndTick(1);
  EXPECT_EQ(orch().phase, LoopPhase::kRunning);
  repo_.plan.current = 2;
  EXPECT_EQ(AdvanceAndTick(30), Watchdog::Outcome::kAllDone);
  EXPECT_EQ(orch().phase, LoopPhase::kDone);
  EXPECT_EQ(orch().agent.pid, 0);
}

}  // namespace
}  // namespace ccci::supervisor
