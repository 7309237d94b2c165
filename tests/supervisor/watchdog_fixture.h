#pragma once
// The fixture of the watchdog tests: a Watchdog over a FakeLauncher, a FakeRepoProbe and a
// FakeClock, with a temp repo holding the loops' and the orchestrator's prompt files.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "supervisor/watchdog.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/test_files.h"
#include "tests/supervisor/fake_launcher.h"

namespace ccci::supervisor::testing {

using ::ccci::testing::FakeClock;
using ::ccci::testing::TempDir;
using ::ccci::testing::WriteFile;

inline bool Has(const std::vector<std::string>& argv, const std::string& a) {
  return std::find(argv.begin(), argv.end(), a) != argv.end();
}
inline std::string After(const std::vector<std::string>& argv, const std::string& flag) {
  auto it = std::find(argv.begin(), argv.end(), flag);
  return it != argv.end() && it + 1 != argv.end() ? *(it + 1) : "";
}

class WatchdogTest : public ::testing::Test {
 protected:
  WatchdogTest() : store_(dir_.File("state")) {
    std::filesystem::create_directories(dir_.File("repo/prompts"));
    WriteFile(dir_.File("repo/prompts/builder.md"), "You are the Builder.\n");
    WriteFile(dir_.File("repo/prompts/reviewer.md"), "You are the Reviewer.\n");
    WriteFile(dir_.File("repo/prompts/orchestrator.md"), "You are the Orchestrator.\n");
    config_.repo = dir_.File("repo");
    config_.state_dir = dir_.File("state");
    config_.model = "opus";
    config_.stall_after = Seconds(300);
    config_.no_progress_after = Seconds(3600);
    config_.result_grace = Seconds(60);
    config_.backoff_initial = Seconds(10);
    config_.backoff_max = Seconds(100);
    config_.backoff_jitter = 0.2;
    config_.stable_after = Seconds(600);
    config_.fatal_crashes = 4;
    config_.fatal_window = Seconds(600);
    config_.rate_limit_min = Seconds(60);
    config_.rate_limit_max = Seconds(7200);
    EXPECT_TRUE(store_.Init().ok());
  }

  Watchdog& wd() {
    if (!wd_) {
      wd_ = std::make_unique<Watchdog>(
          config_, &clock_, &launcher_, &repo_, &store_, [this] { return rng_; },
          std::map<std::string, std::string>{{"PATH", "/usr/bin"},
                                             {"CLAUDECODE", "1"},
                                             {"CLAUDE_CODE_ENTRYPOINT", "cli"},
                                             {"HOME", "/root"}});
    }
    return *wd_;
  }
  void Want(const std::string& loop, bool run = true) {
    ASSERT_TRUE(store_.WriteWant(loop, run).ok());
  }
  Watchdog::Outcome AdvanceAndTick(int seconds) {
    clock_.Advance(std::chrono::seconds(seconds));
    return wd().Tick();
  }
  const LoopState& builder() { return wd().loop("builder"); }
  int64_t Now() { return clock_.NowUnixMillis(); }

  TempDir dir_;
  SupervisorConfig config_;
  FakeClock clock_;
  FakeLauncher launcher_;
  FakeRepoProbe repo_;
  StateStore store_;
  double rng_ = 0.5;  // no jitter
  std::unique_ptr<Watchdog> wd_;
};

}  // namespace ccci::supervisor::testing
