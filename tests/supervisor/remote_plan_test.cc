// DONE read from the real remote (CC_CI_REPO): real git repositories in a temp dir -- a bare
// origin, the loops' clone, and a second clone the Reviewer pushes from -- and the watchdog
// on the fake clock and launcher.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "supervisor/process_launcher.h"
#include "supervisor/repo_probe.h"
#include "supervisor/watchdog.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/test_files.h"
#include "tests/supervisor/fake_launcher.h"

namespace ccci::supervisor {
namespace {

using ::ccci::testing::ReadFileOrDie;
using ::ccci::testing::TempDir;
using ::ccci::testing::WriteFile;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kFakes = std::string(CCCI_SOURCE_DIR) + "/tests/supervisor/fakes";

class RemotePlanTest : public ::testing::Test {
 protected:
  RemotePlanTest()
      : remote_(dir_.File("origin.git")),
        work_(dir_.File("work")),
        elsewhere_(dir_.File("elsewhere")),
        store_(dir_.File("state")) {
    std::string seed = dir_.File("seed");
    std::filesystem::create_directories(seed + "/plans");
    std::filesystem::create_directories(seed + "/prompts");
    WriteFile(seed + "/plans/01-intake.md", "# Phase 1\n- [ ] webhooks\n");
    WriteFile(seed + "/plans/02-runner.md", "# Phase 2\n- [ ] runs\n");
    WriteFile(seed + "/prompts/builder.md", "Build.\n");
    WriteFile(seed + "/prompts/reviewer.md", "Review.\n");
    Git(seed, "init -q -b main");
    Git(seed, "add -A");
    Git(seed, "commit -q -m plan");
    Git(dir_.path(), "clone -q --bare '" + seed + "' '" + remote_ + "'");
    Git(dir_.path(), "clone -q '" + remote_ + "' '" + work_ + "'");
    Git(dir_.path(), "clone -q '" + remote_ + "' '" + elsewhere_ + "'");
    EXPECT_TRUE(store_.Init().ok());
  }
  void Git(const std::string& dir, const std::string& args) {
    std::string cmd = "git -C '" + dir + "' -c user.name=t -c user.email=t@example.org " + args +
                      " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  // The Reviewer, in another clone, marks every phase DONE and pushes it.
  void PushDoneFromElsewhere(const std::string& to, const std::string& branch = "main") {
    if (!done_committed_) {
      for (const char* f : {"/plans/01-intake.md", "/plans/02-runner.md"}) {
        WriteFile(elsewhere_ + f, "# Phase\n- [x] all of it\n\n## DONE\n");
      }
      Git(elsewhere_, "commit -q -am 'all phases done'");
      done_committed_ = true;
    }
    Git(elsewhere_, "push -q '" + to + "' HEAD:" + branch);
  }
  std::unique_ptr<Watchdog> MakeWatchdog(const std::string& cc_ci_repo) {
    Result<SupervisorConfig> c = LoadConfig(work_, "", {{"CC_CI_REPO", cc_ci_repo}});
    EXPECT_TRUE(c.ok());
    config_ = *c;
    config_.state_dir = store_.dir();
    probe_ = MakeRepoProbe(config_, store_.RemoteCachePath());
    return std::make_unique<Watchdog>(
        config_, &clock_, &launcher_, probe_.get(), &store_, [] { return 0.5; },
        std::map<std::string, std::string>{});
  }
  Watchdog::Outcome AdvanceAndTick(Watchdog& wd, int seconds) {
    clock_.Advance(std::chrono::seconds(seconds));
    return wd.Tick();
  }

  TempDir dir_;
  std::string remote_;
  std::string work_;
  std::string elsewhere_;
  StateStore store_;
  SupervisorConfig config_;
  ccci::testing::FakeClock clock_;
  testing::FakeLauncher launcher_;
  std::unique_ptr<RepoProbe> probe_;
  bool done_committed_ = false;
};

TEST_F(RemotePlanTest, DonePushedToTheBareRemoteGivenAsCcCiRepoEndsTheRun) {
  auto wd = MakeWatchdog(remote_);
  ASSERT_TRUE(store_.WriteWant("builder", true).ok());
  EXPECT_EQ(wd->Tick(), Watchdog::Outcome::kContinue);
  EXPECT_EQ(wd->info().plan_source, remote_ + " main");
  EXPECT_EQ(wd->info().phase_file, "plans/01-intake.md");
  EXPECT_EQ(wd->loop("builder").phase, LoopPhase::kRunning);

  PushDoneFromElsewhere(remote_, "feature");
  EXPECT_EQ(AdvanceAndTick(*wd, 30), Watchdog::Outcome::kContinue) << "another branch counted";

  PushDoneFromElsewhere(remote_);
  EXPECT_FALSE(GitRepoProbe(work_, "plans", "main").ReadPlan()->AllDone())
      << "the local main must not have it: the point is reading the remote";
  EXPECT_EQ(AdvanceAndTick(*wd, 30), Watchdog::Outcome::kAllDone);
  EXPECT_EQ(wd->loop("builder").phase, LoopPhase::kDone);
  EXPECT_EQ(launcher_.stopped.size(), 1u);
  Result<std::string> refs = RunAndCapture({"git", "-C", work_, "for-each-ref", "refs/cc-ci"});
  ASSERT_TRUE(refs.ok());
  EXPECT_EQ(*refs, "") << "the fetch must go to the private cache, not the loops' repository";
  EXPECT_TRUE(store_.LoadWatchdog().all_done);
}

TEST_F(RemotePlanTest, AnUnreachableRemoteNeverStopsTheLoopsAndIsRetriedUntilItAnswers) {
  auto wd = MakeWatchdog(remote_);
  ASSERT_TRUE(store_.WriteWant("builder", true).ok());
  ASSERT_TRUE(store_.WriteWant("reviewer", true).ok());
  ASSERT_EQ(wd->Tick(), Watchdog::Outcome::kContinue);
  int64_t first_check = wd->info().checked_at_ms;
  ASSERT_GT(first_check, 0);

  std::string away = dir_.File("away.git");
  std::filesystem::rename(remote_, away);  // the remote goes away
  for (int i = 1; i <= 6; ++i) {
    for (int pid : {1000, 1001}) launcher_.agents[pid].pending.push_back("working");
    ASSERT_EQ(AdvanceAndTick(*wd, 30), Watchdog::Outcome::kContinue);
    EXPECT_EQ(wd->info().check_failures, i);
  }
  EXPECT_EQ(launcher_.launches.size(), 2u) << "a failing fetch must not restart the loops";
  EXPECT_TRUE(launcher_.stopped.empty()) << "a failing fetch must not stop the loops";
  EXPECT_EQ(wd->loop("builder").phase, LoopPhase::kRunning);
  EXPECT_EQ(wd->loop("reviewer").phase, LoopPhase::kRunning);
  EXPECT_EQ(wd->info().checked_at_ms, first_check) << "the age of the last good check grows";
  EXPECT_EQ(wd->info().phase_file, "plans/01-intake.md") << "the last known phase stays";
  EXPECT_FALSE(wd->info().all_done);
  EXPECT_THAT(wd->info().check_error, HasSubstr("fetch " + remote_ + " main"));
  WatchdogInfo saved = store_.LoadWatchdog();
  EXPECT_EQ(saved.check_failures, 6) << "status reads it from watchdog.json";
  EXPECT_EQ(saved.checked_at_ms, first_check);

  PushDoneFromElsewhere(away);             // DONE lands while it is unreachable...
  std::filesystem::rename(away, remote_);  // ...and it comes back
  EXPECT_EQ(AdvanceAndTick(*wd, 30), Watchdog::Outcome::kAllDone);
  EXPECT_EQ(wd->info().check_failures, 0);
}

TEST_F(RemotePlanTest, AHangingRemoteIsCutOffAtRemoteTimeoutLeavingNothingBehind) {
  std::string agent_dir = dir_.File("agent");
  std::filesystem::create_directories(agent_dir);
  setenv("FAKE_AGENT_DIR", agent_dir.c_str(), 1);
  std::string old_path = getenv("PATH");
  setenv("PATH", (kFakes + ":" + old_path).c_str(), 1);  // git finds git-remote-hang here
  RemoteRepoProbe probe(work_, "plans", "hang::nowhere", "main", store_.RemoteCachePath(),
                        std::chrono::seconds(1));
  auto t0 = std::chrono::steady_clock::now();
  Result<PlanStatus> plan = probe.ReadPlan();
  auto took = std::chrono::steady_clock::now() - t0;
  setenv("PATH", old_path.c_str(), 1);
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(plan.status().message(), HasSubstr("timed out after 1s"));
  EXPECT_LT(took, std::chrono::seconds(5));
  ASSERT_TRUE(std::filesystem::exists(agent_dir + "/hang.pid")) << "the helper never ran";
  int helper = std::atoi(ReadFileOrDie(agent_dir + "/hang.pid").c_str());
  EXPECT_FALSE(ProcessStartTicks(helper).has_value()) << "the remote helper outlived the fetch";
}

TEST_F(RemotePlanTest, CredentialsInTheUrlNeverReachStatusOrLogs) {
  std::string url = "http://ci-bot:s3cr3t-token@127.0.0.1:1/coop/cc-ci.git";
  RemoteRepoProbe probe(work_, "plans", url, "main", store_.RemoteCachePath(),
                        std::chrono::seconds(5));
  EXPECT_EQ(probe.PlanSource(), "http://***@127.0.0.1:1/coop/cc-ci.git main");
  Result<PlanStatus> plan = probe.ReadPlan();  // nothing listens on port 1
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(plan.status().message(), Not(HasSubstr("s3cr3t")));
  EXPECT_THAT(plan.status().message(), HasSubstr("***@127.0.0.1:1"));

  EXPECT_EQ(RedactUrl("https://user:tok@host/x.git"), "https://***@host/x.git");
  EXPECT_EQ(RedactUrl("ssh://git@host:2222/x.git"), "ssh://***@host:2222/x.git");
  EXPECT_EQ(RedactUrl("git@host:org/x.git"), "git@host:org/x.git");
  EXPECT_EQ(RedactUrl("/srv/git/cc-ci.git"), "/srv/git/cc-ci.git");
  EXPECT_EQ(RedactUrl("https://host/a@b.git"), "https://host/a@b.git");
}

TEST_F(RemotePlanTest, WithoutCcCiRepoTheLocalMainIsRead) {
  Result<SupervisorConfig> c = LoadConfig(work_, "", {});
  ASSERT_TRUE(c.ok());
  std::unique_ptr<RepoProbe> probe = MakeRepoProbe(*c, store_.RemoteCachePath());
  EXPECT_EQ(probe->PlanSource(), "local main");
  PushDoneFromElsewhere(remote_);
  EXPECT_FALSE(probe->ReadPlan()->AllDone());
  Git(work_, "pull -q --ff-only");
  EXPECT_TRUE(probe->ReadPlan()->AllDone());
  EXPECT_FALSE(std::filesystem::exists(store_.RemoteCachePath()));
}

}  // namespace
}  // namespace ccci::supervisor
