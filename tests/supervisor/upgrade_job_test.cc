// The one-shot upgrade job on the fake clock and launcher: its result is its exit code, its
// output is streamed readable, and it shares the loops' handling of rate limits, stalls,
// hung sessions and process groups. Also which backend and model it runs with.

#include "supervisor/upgrade_job.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/fakes/fake_clock.h"
#include "tests/fakes/test_files.h"
#include "tests/supervisor/watchdog_fixture.h"

namespace ccci::supervisor {
namespace {

using ::ccci::testing::TempDir;
using ::ccci::testing::WriteFile;
using testing::After;
using testing::AssistantLine;
using ::testing::Contains;
using testing::Has;
using ::testing::HasSubstr;
using testing::InitLine;
using testing::RateLimitLine;
using testing::ResultLine;

class UpgradeJobTest : public ::testing::Test {
 protected:
  UpgradeJobTest() : store_(dir_.File("state")) {
    std::filesystem::create_directories(dir_.File("repo/prompts"));
    WriteFile(dir_.File("repo/prompts/upgrader.md"), "You are the Upgrader.\n");
    config_ = *LoadConfig(dir_.File("repo"), "", {});
    config_.state_dir = store_.dir();
    config_.model = "haiku";
    config_.stall_after = Seconds(300);
    config_.upgrade_timeout = Seconds(3600);
    EXPECT_TRUE(store_.Init().ok());
    ctx_.config = &config_;
    ctx_.clock = &clock_;
    ctx_.launcher = &launcher_;
    ctx_.store = &store_;
    ctx_.rng = [] { return 0.5; };
    ctx_.env = {{"PATH", "/usr/bin"}, {"CLAUDECODE", "1"}};
  }

  // Runs the job; every wait moves the fake clock by `step` and then calls `script`, which
  // plays the agent's part.
  int Run(const std::function<void()>& script, UpgradeRequest req = {},
          std::chrono::milliseconds step = std::chrono::seconds(1)) {
    UpgradeJob job(&ctx_, std::move(req), [this](const std::string& l) { out_.push_back(l); });
    int code = job.Run(stop_, [&](std::chrono::milliseconds) {
      clock_.Advance(step);
      script();
    });
    state_ = job.state();
    return code;
  }

  TempDir dir_;
  StateStore store_;
  SupervisorConfig config_;
  ccci::testing::FakeClock clock_;
  testing::FakeLauncher launcher_;
  AgentContext ctx_;
  std::atomic<bool> stop_{false};
  std::vector<std::string> out_;
  LoopState state_;
};

TEST_F(UpgradeJobTest, ASuccessfulResultIsExitZeroAndTheOutputIsStreamedReadable) {
  bool played = false;
  int code = Run(
      [&] {
        if (played) return;
        played = true;
        launcher_.Emit(InitLine("up-1"));
        launcher_.Emit(AssistantLine("Upgrading bonfire to 2.1.0"));
        launcher_.Emit("plain text from a tool");
        launcher_.Emit(ResultLine(false));
        launcher_.Exit(0);
      },
      UpgradeRequest{{"bonfire", "traefik"}});
  EXPECT_EQ(code, kUpgradeOk);
  EXPECT_EQ(state_.phase, LoopPhase::kFinished);
  ASSERT_EQ(launcher_.launches.size(), 1u);
  const AgentCommand& cmd = launcher_.launches[0];
  EXPECT_EQ(cmd.argv[0], "claude");
  EXPECT_EQ(After(cmd.argv, "--model"), "haiku");
  EXPECT_EQ(cmd.env.count("CLAUDECODE"), 0u) << "the loops' clean environment";
  EXPECT_THAT(cmd.argv[2], HasSubstr("You are the Upgrader."));
  EXPECT_THAT(cmd.argv[2], HasSubstr("Recipes: bonfire, traefik."));
  EXPECT_THAT(out_, Contains("assistant: Upgrading bonfire to 2.1.0"));
  EXPECT_THAT(out_, Contains("plain text from a tool"));
  EXPECT_THAT(out_, Contains("result success: ok"));
  EXPECT_EQ(store_.LoadLoop(kUpgrade)->phase, LoopPhase::kFinished) << "status can show it";
}

TEST_F(UpgradeJobTest, ACrashIsTheJobsResultAndIsNotRetried) {
  int code = Run([&] {
    if (launcher_.Running()) {
      launcher_.Emit(InitLine("up-2"));
      launcher_.Exit(3);
    }
  });
  EXPECT_EQ(code, kUpgradeFailed);
  EXPECT_EQ(launcher_.launches.size(), 1u);
  EXPECT_EQ(state_.phase, LoopPhase::kFailed);
  EXPECT_EQ(state_.last_reason, "exited with status 3");
}

TEST_F(UpgradeJobTest, AnErrorResultIsAFailureEvenWithExitZero) {
  int code = Run([&] {
    if (launcher_.Running()) {
      launcher_.Emit(ResultLine(true));
      launcher_.Exit(0);
    }
  });
  EXPECT_EQ(code, kUpgradeFailed);
  EXPECT_EQ(state_.last_reason, "exited after an error result");
}

TEST_F(UpgradeJobTest, ARateLimitWaitsForItsResetThenResumesTheSameSession) {
  int64_t resets_at = clock_.NowUnixMillis() / 1000 + 900;
  int64_t resumed_at = 0;
  int code = Run([&] {
    if (!launcher_.Running()) return;
    if (launcher_.launches.size() == 1) {
      launcher_.Emit(InitLine("up-rl"));
      launcher_.Emit(RateLimitLine("rejected", resets_at));
      launcher_.Emit(ResultLine(true));
      launcher_.Exit(1);
    } else {
      resumed_at = clock_.NowUnixMillis();
      launcher_.Emit(InitLine("up-rl"));
      launcher_.Emit(ResultLine(false));
      launcher_.Exit(0);
    }
  });
  EXPECT_EQ(code, kUpgradeOk);
  ASSERT_EQ(launcher_.launches.size(), 2u);
  EXPECT_EQ(After(launcher_.LastArgv(), "--resume"), "up-rl");
  EXPECT_THAT(launcher_.LastArgv()[2], HasSubstr("Carry on with the same upgrade job"));
  EXPECT_GE(resumed_at, resets_at * 1000) << "resumed before the limit's reset";
  EXPECT_EQ(state_.crash_times_ms.size(), 0u);
}

TEST_F(UpgradeJobTest, ASilentSessionIsHealedByResuming) {
  bool init_sent = false;
  int code = Run(
      [&] {
        if (!init_sent) {
          launcher_.Emit(InitLine("up-quiet"));  // then nothing, for ever
          init_sent = true;
        } else if (launcher_.launches.size() == 2 && launcher_.Running()) {
          launcher_.Emit(ResultLine(false));
          launcher_.Exit(0);
        }
      },
      {}, std::chrono::seconds(10));
  EXPECT_EQ(code, kUpgradeOk);
  ASSERT_EQ(launcher_.launches.size(), 2u);
  EXPECT_THAT(launcher_.stopped, Contains(1000));
  EXPECT_EQ(After(launcher_.LastArgv(), "--resume"), "up-quiet");
  EXPECT_EQ(state_.heals, 1);
}

TEST_F(UpgradeJobTest, ASessionHangingAfterItsResultIsKilledAndCountsAsFinished) {
  bool result_sent = false;
  int code = Run([&] {
    if (!result_sent) launcher_.Emit(ResultLine(false));  // and it never exits
    result_sent = true;
  });
  EXPECT_EQ(code, kUpgradeOk);
  EXPECT_THAT(launcher_.stopped, Contains(1000));
  EXPECT_THAT(state_.last_reason, HasSubstr("after its result"));
}

TEST_F(UpgradeJobTest, TheTimeoutStopsTheGroup) {
  config_.upgrade_timeout = Seconds(600);
  int code =
      Run([&] { launcher_.Emit(AssistantLine("still upgrading")); }, {}, std::chrono::seconds(30));
  EXPECT_EQ(code, kUpgradeTimedOut);
  EXPECT_THAT(launcher_.stopped, Contains(1000));
  EXPECT_FALSE(launcher_.Running());
  EXPECT_EQ(state_.phase, LoopPhase::kFailed);
  EXPECT_THAT(state_.last_reason, HasSubstr("timed out after 600s"));
  EXPECT_LE(clock_.NowUnixMillis() - 1784538843000LL, 630 * 1000);
}

TEST_F(UpgradeJobTest, AnInterruptStopsTheGroup) {
  int code = Run([&] { stop_ = true; });
  EXPECT_EQ(code, kUpgradeInterrupted);
  EXPECT_THAT(launcher_.stopped, Contains(1000));
  EXPECT_EQ(state_.last_reason, "interrupted");
}

TEST_F(UpgradeJobTest, AMissingPromptFailsWithoutLaunching) {
  std::filesystem::remove(dir_.File("repo/prompts/upgrader.md"));
  EXPECT_EQ(Run([] {}), kUpgradeFailed);
  EXPECT_TRUE(launcher_.launches.empty());
  EXPECT_THAT(state_.last_reason, HasSubstr("missing prompt file"));
}

TEST_F(UpgradeJobTest, TheAgentOfAKilledEarlierUpgradeIsStoppedFirst) {
  LoopState old;
  old.name = kUpgrade;
  old.phase = LoopPhase::kRunning;
  old.agent.pid = 777;
  old.agent.start_ticks = 42;
  ASSERT_TRUE(store_.SaveLoop(old).ok());
  launcher_.agents[777] = testing::FakeLauncher::Agent{};  // still running
  Run([&] {
    launcher_.Emit(ResultLine(false));
    launcher_.Exit(0);
  });
  ASSERT_FALSE(launcher_.stopped.empty());
  EXPECT_EQ(launcher_.stopped[0], 777);
  EXPECT_FALSE(launcher_.agents[777].running);
}

TEST_F(UpgradeJobTest, OpencodeRunsItAsANewTitledSession) {
  config_.backend = Backend::kOpencode;
  int code = Run([&] {
    launcher_.Emit("Upgraded.");
    launcher_.Exit(0);
  });
  EXPECT_EQ(code, kUpgradeOk);
  EXPECT_EQ(launcher_.LastArgv()[0], "opencode");
  EXPECT_EQ(After(launcher_.LastArgv(), "--title"), "cc-ci upgrade #1");
  EXPECT_THAT(out_, Contains("Upgraded."));
}

// LOOP_* win over UPGRADER_* when set; what neither names is the loops' setting (here the
// INI file's backend = claude, model = ini-model).
TEST(UpgraderConfigTest, LoopVariablesTakePrecedenceInAllFourCombinations) {
  TempDir dir;
  WriteFile(dir.File("s.ini"), "[loop]\nbackend = claude\nmodel = ini-model\n");
  struct Case {
    std::map<std::string, std::string> env;
    Backend backend;
    std::string model;
  };
  const Case cases[] = {
      {{}, Backend::kClaude, "ini-model"},
      {{{"UPGRADER_BACKEND", "opencode"}, {"UPGRADER_MODEL", "up-model"}},
       Backend::kOpencode,
       "up-model"},
      {{{"LOOP_BACKEND", "opencode"}, {"LOOP_MODEL", "loop-model"}},
       Backend::kOpencode,
       "loop-model"},
      {{{"LOOP_BACKEND", "claude"},
        {"LOOP_MODEL", "loop-model"},
        {"UPGRADER_BACKEND", "opencode"},
        {"UPGRADER_MODEL", "up-model"}},
       Backend::kClaude,
       "loop-model"},
      // Each variable on its own: backend and model are decided separately.
      {{{"LOOP_MODEL", "loop-model"}, {"UPGRADER_BACKEND", "opencode"}},
       Backend::kOpencode,
       "loop-model"},
      {{{"LOOP_BACKEND", ""}, {"UPGRADER_BACKEND", "opencode"}}, Backend::kOpencode, "ini-model"},
  };
  for (const Case& c : cases) {
    Result<SupervisorConfig> loaded = LoadConfig("/r", dir.File("s.ini"), c.env);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    SupervisorConfig up = UpgraderConfig(*loaded, c.env);
    EXPECT_EQ(up.backend, c.backend) << ::testing::PrintToString(c.env);
    EXPECT_EQ(up.model, c.model) << ::testing::PrintToString(c.env);
    EXPECT_EQ(loaded->model, c.env.count("LOOP_MODEL") ? "loop-model" : "ini-model")
        << "the loops themselves never take UPGRADER_*";
  }
  WriteFile(dir.File("u.ini"), "upgrader_backend = opencode\nupgrader_model = ini-up\n");
  SupervisorConfig up = UpgraderConfig(*LoadConfig("/r", dir.File("u.ini"), {}), {});
  EXPECT_EQ(up.backend, Backend::kOpencode);
  EXPECT_EQ(up.model, "ini-up");
  EXPECT_FALSE(LoadConfig("/r", "", {{"UPGRADER_BACKEND", "gpt"}}).ok());
}

}  // namespace
}  // namespace ccci::supervisor
