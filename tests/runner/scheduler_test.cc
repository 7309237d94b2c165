// The scheduler against the real SQLite store: dispatch, stage records, level, cancel,
// the gate, restart recovery and a clean stop.
#include "bot/runner/scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bot/store/sql_store.h"
#include "tests/fakes/fake_executor.h"
#include "tests/fakes/fake_proxy.h"
#include "tests/fakes/fake_swarm.h"
#include "tests/fakes/forwarding_run_queue.h"
#include "tests/fakes/recipe_repo.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/test_store.h"
#include "tests/fakes/wait_until.h"

namespace ccci::runner {
namespace {

using ccci::testing::Sh;

class HoldAll : public RunGate {
 public:
  Result<GateDecision> Admit(const ccci::Run&) override {
    return GateDecision{false, "waiting for a trusted `!cc-ci ok-to-test`"};
  }
};

// The store as the scheduler's queue, counting the claims and the writes that hold runs.
class CountingQueue : public ccci::testing::ForwardingRunQueue {
 public:
  using ForwardingRunQueue::ForwardingRunQueue;
  std::atomic<int> claims{0};
  std::atomic<int> hold_writes{0};

  Result<std::optional<Lease>> ClaimNext(const std::string& worker, int64_t lease_ms,
                                         const std::string& server) override {
    ++claims;
    return q_->ClaimNext(worker, lease_ms, server);
  }
  Status HoldRun(int64_t id, const std::string& reason) override {
    ++hold_writes;
    return q_->HoldRun(id, reason);
  }
  Status HoldRuns(const std::vector<std::pair<int64_t, std::string>>& holds) override {
    ++hold_writes;
    return q_->HoldRuns(holds);
  }
};

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = ccci::testing::OpenTestStore(dir_.path() + "/cc-ci.db");
    ASSERT_TRUE(store_);
    swarm_ = dir_.path() + "/swarm";
    ccci::testing::UseFakeSwarm(swarm_);
    proxy_ = std::make_unique<ccci::testing::FakeProxy>(swarm_);
    repo_ = ccci::testing::RecipeRepo::FromShared("traefik", dir_.path() + "/traefik");
    options_.data_dir = dir_.path() + "/data";
    options_.domain_suffix = "ci.test";
    options_.poll = std::chrono::milliseconds(50);
    options_.defaults.app_url = "http://{domain}{health_path}";
    options_.defaults.connect_to = {"::127.0.0.1:" + std::to_string(proxy_->port())};
    options_.defaults.probe_interval = std::chrono::milliseconds(50);
    options_.defaults.ready_timeout = std::chrono::seconds(5);
    options_.defaults.pass_env = {"FAKE_*"};
    options_.clone_sources = CloneSources("", {dir_.path()});
  }

  // pr 0: a push to the default branch.
  int64_t Queue(int64_t pr, const std::string& sha, const std::string& delivery,
                const ccci::testing::RecipeRepo* repo = nullptr) {
    repo = repo ? repo : &repo_;
    std::string name = repo->dir.substr(repo->dir.rfind('/') + 1);
    RunRequest run = ccci::testing::PrRun("coop-cloud/" + name, pr, sha);
    run.clone_url = repo->dir;
    if (pr == 0) {
      run.trigger = "push";
      run.head_ref = "main";
    }
    return ccci::testing::QueueRun(store_.get(), run, delivery);
  }
  // A PR run of `repo` (owner/name as a webhook named it) to be cloned from `clone_url`.
  int64_t QueueFrom(const std::string& repo, const std::string& clone_url, const std::string& sha,
                    const std::string& delivery) {
    RunRequest run = ccci::testing::PrRun(repo, 3, sha);
    run.clone_url = clone_url;
    return ccci::testing::QueueRun(store_.get(), run, delivery);
  }
  // Runs the queue until run `id` is in `state`; returns it.
  ccci::Run RunUntil(int64_t id, const std::string& state) {
    Scheduler s(store_.get(), store_.get(), &open_, &executor_, options_, {}, nullptr);
    s.Start();
    ccci::Run run = WaitFor(id, state);
    s.Stop();
    return run;
  }
  // Every stage log of run `id`, concatenated.
  std::string Logs(int64_t id) {
    return Sh("cat '" + options_.data_dir + "/runs/" + std::to_string(id) +
              "'/*.log 2>/dev/null || true");
  }

  // Waits (bounded) until the run is in `state`.
  ccci::Run WaitFor(int64_t id, const std::string& state) {
    auto r = store_->GetRun(id);
    if (ccci::testing::WaitUntil(
            [&] {
              r = store_->GetRun(id);
              return r.ok() && r->state == state;
            },
            std::chrono::seconds(30), std::chrono::milliseconds(50))) {
      return *r;
    }
    ADD_FAILURE() << "run " << id << " never became " << state << "; it is " << r->state << " ("
                  << r->reason << ")";
    return *r;
  }

  // Waits (bounded) until the fake abra hangs (FAKE_ABRA_HANG) in the running suite.
  void WaitForHang() {
    ccci::testing::WaitUntil(
        [&] { return access((swarm_ + "/hang-child.pid").c_str(), F_OK) == 0; },
        std::chrono::seconds(30), std::chrono::milliseconds(50));
  }

  ccci::testing::TempDir dir_;
  std::unique_ptr<SqlStore> store_;
  std::string swarm_;
  std::unique_ptr<ccci::testing::FakeProxy> proxy_;
  ccci::testing::RecipeRepo repo_;
  SchedulerOptions options_;
  PtyExecutor executor_;
  OpenGate open_;
  std::atomic<int> changes_{0};
};

TEST_F(SchedulerTest, ARunGoesFromQueuedToFinishedWithItsStagesAndLevel) {
  int64_t id = Queue(3, repo_.head, "d1");
  std::mutex mu;
  std::vector<std::string> finished;  // what metrics hear
  options_.on_stage_finished = [&](const StageRecord& st) {
    std::lock_guard<std::mutex> l(mu);
    finished.push_back(st.name + ":" + st.status);
  };
  options_.on_run_finished = [&](const std::string& outcome) {
    std::lock_guard<std::mutex> l(mu);
    finished.push_back(outcome);
  };
  Scheduler s(store_.get(), store_.get(), &open_, &executor_, options_, {}, [&] { ++changes_; });
  s.Start();
  s.Kick();
  ccci::Run run = WaitFor(id, kRunFinished);
  s.Stop();
  // traefik has no x.y.z+upstream release: rung 8 (maintained) fails.
  EXPECT_EQ(run.level, 7) << run.reason;
  EXPECT_EQ(run.attempts, 1);
  auto stages = store_->ListStages(id);
  ASSERT_TRUE(stages.ok());
  ASSERT_EQ(stages->size(), 11u);
  EXPECT_EQ((*stages)[0].name, "install");
  EXPECT_EQ((*stages)[0].status, kStagePass);
  EXPECT_EQ((*stages)[0].log_path, "runs/" + std::to_string(id) + "/install.log");
  EXPECT_EQ((*stages)[8].name, "maintained");
  EXPECT_EQ((*stages)[10].name, "teardown");
  EXPECT_GT(changes_.load(), 11) << "the reporter hears of every stage";
  ASSERT_EQ(finished.size(), 12u);
  EXPECT_EQ(finished.front(), "install:pass");
  EXPECT_EQ(finished[10], "teardown:pass");
  EXPECT_EQ(finished.back(), "level 7");
  std::string calls = testing::ReadFileOrDie(swarm_ + "/calls.log");
  EXPECT_NE(calls.find("--domain traefik-3-" + std::to_string(id) + ".ci.test"), std::string::npos);
}

TEST_F(SchedulerTest, ACancelRequestStopsTheRunAndTeardownRuns) {
  setenv("FAKE_ABRA_HANG", "lint", 1);
  int64_t id = Queue(3, repo_.head, "d1");
  Scheduler s(store_.get(), store_.get(), &open_, &executor_, options_, {}, nullptr);
  s.Start();
  WaitFor(id, kRunRunning);
  WaitForHang();
  auto touched = store_->CancelPr("coop-cloud/traefik", 3, "cancelled by alice (!cc-ci cancel)");
  ASSERT_TRUE(touched.ok());
  ccci::Run run = WaitFor(id, kRunCancelled);
  s.Stop();
  EXPECT_EQ(run.reason, "cancelled by alice (!cc-ci cancel)");
  auto stages = *store_->ListStages(id);
  EXPECT_EQ(stages.back().name, "teardown");
  EXPECT_EQ(stages.back().status, kStagePass);
  EXPECT_EQ(Sh("ls '" + swarm_ + "/pids' | wc -l"), "0\n") << "no app left deployed";
}

TEST_F(SchedulerTest, ANewerPushSupersedesTheRunningRun) {
  setenv("FAKE_ABRA_HANG", "lint", 1);
  int64_t first = Queue(3, repo_.head, "d1");
  Scheduler s(store_.get(), store_.get(), &open_, &executor_, options_, {}, nullptr);
  s.Start();
  WaitFor(first, kRunRunning);
  int64_t second = Queue(3, "0123456789abcdef0123456789abcdef01234567", "d2");
  ccci::Run run = WaitFor(first, kRunCancelled);
  EXPECT_EQ(run.reason, "superseded by run " + std::to_string(second) + " (a newer push)");
  s.Stop();
}

TEST_F(SchedulerTest, TheGateHoldsARunAsWaiting) {
  int64_t id = Queue(3, repo_.head, "d1");
  HoldAll hold;
  Scheduler s(store_.get(), store_.get(), &hold, &executor_, options_, {}, nullptr);
  s.Start();
  ccci::Run run = WaitFor(id, kRunWaiting);
  s.Stop();
  EXPECT_EQ(run.reason, "waiting for a trusted `!cc-ci ok-to-test`");
  EXPECT_EQ(run.attempts, 0);
}

// A burst of queued runs the gate holds costs one write, and none of them is claimed (a claim
// and its release were two writes per run).
TEST_F(SchedulerTest, TheGateHoldsABurstWithOneWriteAndClaimsNone) {
  std::vector<int64_t> ids;
  for (int pr = 3; pr < 8; ++pr) ids.push_back(Queue(pr, repo_.head, "d" + std::to_string(pr)));
  HoldAll hold;
  CountingQueue queue(store_.get());
  Scheduler s(&queue, store_.get(), &hold, &executor_, options_, {}, nullptr);
  s.Start();
  for (int64_t id : ids) WaitFor(id, kRunWaiting);
  s.Stop();
  EXPECT_EQ(queue.hold_writes.load(), 1);
  EXPECT_EQ(queue.claims.load(), 0);
}

// Flaky stages: a deploy that fails once (a loaded host) is retried on a default-branch run,
// and the stage is flaky, counted as passed, with both attempts' logs.
TEST_F(SchedulerTest, AStageThatFailsOnceOnABranchRunIsFlakyAndCountsAsPassed) {
  setenv("FAKE_ABRA_FAIL_ONCE", "deploy", 1);
  std::mutex mu;
  std::vector<std::string> finished;
  options_.on_stage_finished = [&](const StageRecord& st) {
    std::lock_guard<std::mutex> l(mu);
    finished.push_back(st.name + ":" + st.status);
  };
  int64_t id = Queue(0, repo_.head, "push-1");
  Scheduler s(store_.get(), store_.get(), &open_, &executor_, options_, {}, nullptr);
  s.Start();
  ccci::Run run = WaitFor(id, kRunFinished);
  s.Stop();
  EXPECT_EQ(run.level, 7) << "a flaky stage counts as passed: the level of a clean run";
  StageRecord install = (*store_->ListStages(id))[0];
  EXPECT_EQ(install.status, kStageFlaky) << install.reason;
  EXPECT_EQ(install.attempts, 2);
  EXPECT_NE(install.reason.find("failed, then passed on its retry; the failure: abra app deploy "
                                "exited 1: FATA deploy failed (FAKE_ABRA_FAIL_ONCE"),
            std::string::npos)
      << install.reason;
  std::string dir = options_.data_dir + "/runs/" + std::to_string(id) + "/";
  EXPECT_EQ(install.log_path, "runs/" + std::to_string(id) + "/install.log");
  std::string first = testing::ReadFileOrDie(dir + "install.log");
  std::string second = testing::ReadFileOrDie(dir + "install.1.log");
  EXPECT_NE(first.find("deploy failed"), std::string::npos) << first;
  EXPECT_NE(first.find("runs once more on the same deployment"), std::string::npos) << first;
  EXPECT_NE(second.find("the second attempt (the first: install.log)"), std::string::npos)
      << second;
  // Install redoes its own step: the app is not made again, the PR head is deployed over
  // what the failed attempt left.
  EXPECT_NE(second.find("$ abra app deploy --chaos --no-domain-checks --no-input --force -- "
                        "traefik-0-" +
                        std::to_string(id) + ".ci.test"),
            std::string::npos)
      << second;
  EXPECT_EQ(second.find("app new"), std::string::npos) << second;
  std::lock_guard<std::mutex> l(mu);
  EXPECT_EQ(finished.front(), "install:flaky") << "the first attempt's failure was not final";
  EXPECT_EQ(std::count(finished.begin(), finished.end(), "install:fail"), 0);
}

// The same failure on a PR run is the PR's: no retry, the failure stands.
TEST_F(SchedulerTest, APrRunNeverRetriesAFailedStage) {
  setenv("FAKE_ABRA_FAIL_ONCE", "deploy", 1);
  int64_t id = Queue(3, repo_.head, "d1");
  Scheduler s(store_.get(), store_.get(), &open_, &executor_, options_, {}, nullptr);
  s.Start();
  ccci::Run run = WaitFor(id, kRunFinished);
  s.Stop();
  EXPECT_EQ(run.level, 0);
  StageRecord install = (*store_->ListStages(id))[0];
  EXPECT_EQ(install.status, kStageFail);
  EXPECT_EQ(install.attempts, 1);
  EXPECT_FALSE(std::ifstream(options_.data_dir + "/runs/" + std::to_string(id) + "/install.1.log"));
  std::string calls = testing::ReadFileOrDie(swarm_ + "/calls.log");
  EXPECT_EQ(calls.find("--force --no-domain-checks"), std::string::npos) << calls;
}

// Restore retries on the same deployment: nothing is deployed between its two attempts.
TEST_F(SchedulerTest, ARestoreRetryRunsOnTheSameDeployment) {
  setenv("FAKE_ABRA_FAIL_ONCE", "restore", 1);
  auto bonfire = ccci::testing::RecipeRepo::FromShared("bonfire", dir_.path() + "/bonfire");
  int64_t id = Queue(0, bonfire.head, "push-1", &bonfire);
  Scheduler s(store_.get(), store_.get(), &open_, &executor_, options_, {}, nullptr);
  s.Start();
  ccci::Run run = WaitFor(id, kRunFinished);
  s.Stop();
  EXPECT_EQ(run.level, 7) << run.reason;
  auto stages = *store_->ListStages(id);
  auto restore = std::find_if(stages.begin(), stages.end(),
                              [](const StageRecord& st) { return st.name == "restore"; });
  ASSERT_NE(restore, stages.end());
  EXPECT_EQ(restore->status, kStageFlaky) << restore->reason;
  std::string calls = testing::ReadFileOrDie(swarm_ + "/calls.log");
  size_t first = calls.find("abra app restore");
  size_t second = calls.find("abra app restore", first + 1);
  ASSERT_NE(second, std::string::npos) << calls;
  EXPECT_EQ(calls.substr(first, second - first).find("app deploy"), std::string::npos) << calls;
}

TEST_F(SchedulerTest, RecoverTearsDownInterruptedRunsAndRequeuesThemOnce) {
  int64_t id = Queue(3, repo_.head, "d1");
  ASSERT_TRUE(*store_->ClaimRun(id));  // a previous process took it and died
  ccci::testing::FakeExecutor fake;
  {
    Scheduler s(store_.get(), store_.get(), &open_, &fake, options_, {}, nullptr);
    ASSERT_TRUE(s.Recover().ok());
  }
  ccci::Run run = *store_->GetRun(id);
  EXPECT_EQ(run.state, kRunQueued);
  EXPECT_EQ(run.reason, "queued again: cc-ci restarted during the run");
  ASSERT_TRUE(*store_->ClaimRun(id));  // and it was interrupted again
  {
    Scheduler s(store_.get(), store_.get(), &open_, &fake, options_, {}, nullptr);
    ASSERT_TRUE(s.Recover().ok());
  }
  run = *store_->GetRun(id);
  EXPECT_EQ(run.state, kRunError);
  EXPECT_EQ(run.reason, "interrupted by cc-ci restarts 2 times");
  EXPECT_FALSE(run.level.has_value()) << "a CI error has no level";
}

// A run given up after restarts showed its stage "running … so far" for ever.
TEST_F(SchedulerTest, ARunAbandonedAfterRestartsHasNoStageStillRunning) {
  int64_t id = Queue(3, repo_.head, "d1");
  ccci::testing::FakeExecutor fake;
  for (int attempt = 1; attempt <= 2; ++attempt) {
    ASSERT_TRUE(*store_->ClaimRun(id));
    StageRecord install;
    install.run_id = id;
    install.name = "install";
    install.status = kStageRunning;
    install.started_at_ms = 1000;
    install.log_path = "runs/" + std::to_string(id) + "/install.log";
    ASSERT_TRUE(store_->RecordStage(install).ok());  // then cc-ci was killed
    Scheduler s(store_.get(), store_.get(), &open_, &fake, options_, {}, nullptr);
    ASSERT_TRUE(s.Recover().ok());
  }
  ASSERT_EQ(store_->GetRun(id)->state, kRunError);
  auto stages = *store_->ListStages(id);
  ASSERT_EQ(stages.size(), 1u);
  EXPECT_EQ(stages[0].status, kStageError);
  EXPECT_EQ(stages[0].reason, "did not finish: interrupted by cc-ci restarts 2 times");
  EXPECT_GT(stages[0].duration_ms, 0);
}

// Issue 11.16: under umask 000 runs/ and work/ were created 0777.
TEST_F(SchedulerTest, UnderUmask000RunDirsAndLogsArePrivate) {
  int64_t id = Queue(3, repo_.head, "d1");
  mode_t old = umask(0);
  ccci::Run run = RunUntil(id, kRunFinished);
  umask(old);
  EXPECT_EQ(run.level, 7) << run.reason;
  std::string runs = options_.data_dir + "/runs";
  EXPECT_EQ(Sh("stat -c '%a %n' '" + options_.data_dir + "' '" + runs + "' '" + runs + "/" +
               std::to_string(id) + "' '" + options_.data_dir + "/work' '" + runs + "/" +
               std::to_string(id) + "/install.log' | sed 's| .*/| |'"),
            "750 data\n750 runs\n750 " + std::to_string(id) + "\n750 work\n640 install.log\n");
}

// The abra command a killed cc-ci left running (its own process group, so it survived) is
// ended by the recovery's teardown before anything is torn down.
TEST_F(SchedulerTest, RecoverEndsTheCommandAKilledProcessLeftRunning) {
  int64_t id = Queue(3, repo_.head, "d1");
  ASSERT_TRUE(*store_->ClaimRun(id));
  std::string work = options_.data_dir + "/work/" + std::to_string(id);
  Sh("mkdir -p '" + work + "/abra'");
  struct Discard : OutputSink {
    void Write(std::string_view) override {}
  } out;
  PtyExecutor real;
  CancelToken never;
  Command hung;
  hung.argv = {"sleep", "60"};
  hung.pid_file = work + "/command.pid";
  Result<ExecResult> r = InvalidArgument("not run");
  std::thread left([&] { r = real.Run(hung, out, never); });
  for (int i = 0; i < 500 && !std::ifstream(hung.pid_file); ++i) usleep(10000);
  ccci::testing::FakeExecutor fake;
  {
    Scheduler s(store_.get(), store_.get(), &open_, &fake, options_, {}, nullptr);
    ASSERT_TRUE(s.Recover().ok());
  }
  left.join();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->signal, SIGKILL);
  EXPECT_EQ(store_->GetRun(id)->state, kRunQueued);
}

TEST_F(SchedulerTest, StopCancelsRunningSuitesAndQueuesThemAgain) {
  setenv("FAKE_ABRA_HANG", "lint", 1);
  int64_t id = Queue(3, repo_.head, "d1");
  Scheduler s(store_.get(), store_.get(), &open_, &executor_, options_, {}, nullptr);
  s.Start();
  WaitFor(id, kRunRunning);
  WaitForHang();
  s.Stop();
  ccci::Run run = *store_->GetRun(id);
  EXPECT_EQ(run.state, kRunQueued);
  EXPECT_EQ(run.reason, "queued again: cc-ci was stopped during the run");
  EXPECT_EQ(Sh("ls '" + swarm_ + "/pids' | wc -l"), "0\n")
      << "teardown ran before the stop returned";
}

TEST_F(SchedulerTest, AMissingAbraIsACiError) {
  options_.defaults.abra = "/nonexistent/abra";
  int64_t id = Queue(3, repo_.head, "d1");
  Scheduler s(store_.get(), store_.get(), &open_, &executor_, options_, {}, nullptr);
  s.Start();
  ccci::Run run = WaitFor(id, kRunError);
  s.Stop();
  EXPECT_FALSE(run.level.has_value());
  EXPECT_NE(run.reason.find("/nonexistent/abra"), std::string::npos) << run.reason;
}

// Issue 11: what a webhook names must never reach git or abra as an option, a path outside
// the data dir, a clone source off the forge, or a command's environment.

TEST_F(SchedulerTest, AnOptionAsTheHeadNeverReachesGit) {
  // `--pathspec-from-file=FILE` as the sha made git print FILE into the public stage log.
  std::string secret = dir_.path() + "/secret.txt";
  std::ofstream(secret) << "root:TOP-SECRET-LINE\n";
  int64_t pr_run = Queue(3, "--pathspec-from-file=" + secret, "d1");
  EXPECT_NE(RunUntil(pr_run, kRunError).reason.find("not a commit id"), std::string::npos);
  // A branch run tests its ref when it has no sha: `--end-of-options` keeps that a ref.
  RunRequest branch = ccci::testing::PrRun("coop-cloud/traefik", 0, "");
  branch.head_ref = "--pathspec-from-file=" + secret;
  branch.clone_url = repo_.dir;
  int64_t branch_run = ccci::testing::QueueRun(store_.get(), branch, "d2");
  RunUntil(branch_run, kRunError);
  EXPECT_EQ((Logs(pr_run) + Logs(branch_run)).find("TOP-SECRET-LINE"), std::string::npos)
      << Logs(branch_run);
}

TEST_F(SchedulerTest, ARecipeNamedLikeAFlagIsStillARecipe) {
  // "--help" is a repository name Gitea allows; abra must get it after "--", as an operand.
  int64_t id = QueueFrom("coop-cloud/--help", repo_.dir, repo_.head, "d1");
  ccci::Run run = RunUntil(id, kRunFinished);
  EXPECT_EQ(run.level, 7) << run.reason << Logs(id);
  std::string calls = testing::ReadFileOrDie(swarm_ + "/calls.log");
  EXPECT_NE(calls.find("--no-input -- --help\n"), std::string::npos) << calls;
}

TEST_F(SchedulerTest, ATraversingRepositoryNameNeverLeavesTheDataDir) {
  // This name cloned the recipe outside the data dir, where a second run took a planted
  // file for a trusted overlay.
  int64_t id = QueueFrom("coop-cloud/../../../../planted", repo_.dir, repo_.head, "d1");
  EXPECT_NE(RunUntil(id, kRunError).reason.find("is not a path under"), std::string::npos);
  EXPECT_EQ(Sh("find '" + dir_.path() + "' -name planted | wc -l"), "0\n");
}

TEST_F(SchedulerTest, ACloneUrlOffTheForgeIsRefusedBeforeGitStarts) {
  ccci::testing::TempDir elsewhere;  // a local repository outside runner.allowed_clone_urls
  auto other = ccci::testing::RecipeRepo::FromShared("traefik", elsewhere.path() + "/traefik");
  for (const std::string& url : {other.dir, "file://" + other.dir, std::string("fd::17"),
                                 std::string("https://evil.example/traefik.git")}) {
    int64_t id = QueueFrom("coop-cloud/traefik", url, other.head, "d-" + url);
    ccci::Run run = RunUntil(id, kRunError);
    EXPECT_NE(run.reason.find("clone URL '" + url + "' is refused"), std::string::npos)
        << run.reason;
    EXPECT_EQ(Logs(id).find("git clone"), std::string::npos);
  }
}

TEST_F(SchedulerTest, CommandsNeverSeeCcCisSecrets) {
  // An overlay check (and a recipe's own script) printed them into a public log.
  setenv("CC_CI_GITEA_TOKEN", "tok-7f3a9c", 1);
  setenv("CC_CI_WEBHOOK_SECRET", "whs-51c2e8", 1);
  options_.overlay_dir = dir_.path() + "/overlays";
  Sh("mkdir -p '" + options_.overlay_dir + "'");
  std::ofstream(options_.overlay_dir + "/traefik.ini") << "[functional]\nenv = env\n";
  int64_t id = Queue(3, repo_.head, "d1");
  ccci::Run run = RunUntil(id, kRunFinished);
  unsetenv("CC_CI_GITEA_TOKEN");
  unsetenv("CC_CI_WEBHOOK_SECRET");
  std::string functional =
      testing::ReadFileOrDie(options_.data_dir + "/runs/" + std::to_string(id) + "/functional.log");
  EXPECT_NE(functional.find("PATH="), std::string::npos) << functional;
  EXPECT_NE(functional.find("GIT_ALLOW_PROTOCOL=https:http:ssh:file"), std::string::npos);
  for (const char* leak :
       {"CC_CI_GITEA_TOKEN", "CC_CI_WEBHOOK_SECRET", "tok-7f3a9c", "whs-51c2e8"}) {
    EXPECT_EQ(Logs(id).find(leak), std::string::npos) << leak;
  }
  EXPECT_EQ(run.level, 7) << run.reason;
}

}  // namespace
}  // namespace ccci::runner
