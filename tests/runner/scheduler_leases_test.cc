// The scheduler's leases on a fake clock: the heartbeat renews what it holds, gives up (and
// tears down, recording nothing) what it lost, reaps other workers' expired leases, and a
// restarted worker on a shared store takes back only its own runs and tears down its orphans.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "bot/runner/scheduler.h"
#include "bot/store/sql_store.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_executor.h"
#include "tests/fakes/fake_swarm.h"
#include "tests/fakes/forwarding_run_queue.h"
#include "tests/fakes/recipe_repo.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/test_store.h"
#include "tests/fakes/wait_until.h"

namespace ccci::runner {
namespace {

using ccci::testing::Sh;

// Long enough that the heartbeat thread never beats during a test: the tests call Beat().
constexpr std::chrono::milliseconds kLease = std::chrono::hours(1);

class SchedulerLeasesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = ccci::testing::OpenTestStore(dir_.path() + "/cc-ci.db", &clock_);
    ASSERT_TRUE(store_);
    swarm_ = dir_.path() + "/swarm";
    ccci::testing::UseFakeSwarm(swarm_);
    repo_ = ccci::testing::RecipeRepo::FromShared("traefik", dir_.path() + "/traefik");
    options_.data_dir = dir_.path() + "/data";
    options_.domain_suffix = "ci.test";
    options_.poll = std::chrono::milliseconds(50);
    options_.defaults.pass_env = {"FAKE_*"};
    options_.clone_sources = CloneSources("", {dir_.path()});
    options_.worker = "w1";
    options_.lease = kLease;
    options_.max_attempts = 3;
  }
  void TearDown() override { unsetenv("FAKE_ABRA_HANG"); }

  int64_t Queue(int64_t pr) {
    RunRequest run = ccci::testing::PrRun("coop-cloud/traefik", pr, repo_.head);
    run.clone_url = repo_.dir;
    return ccci::testing::QueueRun(store_.get(), run);
  }
  ccci::Run Get(int64_t id) { return store_->GetRun(id).value(); }

  ccci::testing::TempDir dir_;
  ccci::testing::FakeClock clock_;
  std::unique_ptr<SqlStore> store_;
  std::string swarm_;
  ccci::testing::RecipeRepo repo_;
  SchedulerOptions options_;
  PtyExecutor executor_;
  OpenGate open_;
};

// w1 is paused past its lease: another worker's reaper queues its run again and w2 claims it.
// When w1 beats again it learns it lost the run: its suite is cancelled and torn down, and
// nothing of it reaches the store, neither a stage nor the end.
TEST_F(SchedulerLeasesTest, AWorkerThatLostItsLeaseStopsAndRecordsNothing) {
  setenv("FAKE_ABRA_HANG", "deploy", 1);
  int64_t id = Queue(3);
  Scheduler s(store_.get(), store_.get(), &open_, &executor_, options_, {}, nullptr);
  s.Start();
  ASSERT_TRUE(ccci::testing::WaitUntil(
      [&] { return access((swarm_ + "/hang-child.pid").c_str(), F_OK) == 0; },
      std::chrono::seconds(30), std::chrono::milliseconds(20)));
  EXPECT_EQ(Get(id).worker, "w1");
  EXPECT_EQ(Get(id).stage, "install");

  clock_.Advance(kLease / 2);
  s.Beat();
  EXPECT_EQ(Get(id).lease_until_ms, clock_.NowUnixMillis() + kLease.count()) << "renewed";

  clock_.Advance(kLease + std::chrono::milliseconds(1));
  // Another server's worker's reaper: the run is queued again at once.
  ASSERT_EQ(store_->ReapExpiredLeases("w9", "other-host", kLease.count(), 3)->size(), 1u);
  auto w2 = store_->ClaimNext("w2", kLease.count(), "default").value();
  ASSERT_TRUE(w2.has_value());
  s.Beat();
  ASSERT_TRUE(ccci::testing::WaitUntil([&] { return s.active() == 0; }, std::chrono::seconds(30),
                                       std::chrono::milliseconds(20)))
      << "the suite was cancelled";
  ccci::Run run = Get(id);
  EXPECT_EQ(run.state, kRunRunning);
  EXPECT_EQ(run.worker, "w2");
  EXPECT_EQ(run.attempts, 2);
  EXPECT_EQ(run.stage, "");
  EXPECT_TRUE(store_->ListStages(id)->empty()) << "w1 recorded nothing after losing the run";
  std::string teardown = Sh("cat '" + options_.data_dir + "/runs/" + std::to_string(id) +
                            "/teardown.log' 2>/dev/null || true");
  EXPECT_NE(teardown.find("abra app undeploy"), std::string::npos)
      << "w1 tore down on its own server";
  s.Stop();
  EXPECT_EQ(Get(id).worker, "w2") << "a stopping worker does not requeue a run it lost";
  EXPECT_EQ(Get(id).state, kRunRunning);
}

// The store as the queue, except that no lease is renewed (the store misses this worker's
// beats, as when it is cut off for a moment), and a run is claimed once only.
class UnrenewedLeases : public ccci::testing::ForwardingRunQueue {
 public:
  using ForwardingRunQueue::ForwardingRunQueue;
  Result<bool> ExtendLease(int64_t, const std::string&, int64_t, int64_t) override {
    return Unavailable("the store did not answer");
  }
  Result<std::optional<Lease>> ClaimNext(const std::string& worker, int64_t lease_ms,
                                         const std::string& server) override {
    if (claimed_.exchange(true)) return std::optional<Lease>();
    return q_->ClaimNext(worker, lease_ms, server);
  }

 private:
  std::atomic<bool> claimed_{false};
};

// This worker's own lease expired under its suite, and its own beat reaps the run: the
// take-over fences the suite, which is stopped at once and tears its app down itself; only
// then is the run queued again.
TEST_F(SchedulerLeasesTest, AWorkerThatReapsItsOwnRunStopsItsSuiteBeforeQueueingIt) {
  setenv("FAKE_ABRA_HANG", "deploy", 1);
  int64_t id = Queue(3);
  UnrenewedLeases queue(store_.get());
  Scheduler s(&queue, store_.get(), &open_, &executor_, options_, {}, nullptr);
  s.Start();
  ASSERT_TRUE(ccci::testing::WaitUntil(
      [&] { return access((swarm_ + "/hang-child.pid").c_str(), F_OK) == 0; },
      std::chrono::seconds(30), std::chrono::milliseconds(20)));
  clock_.Advance(kLease + std::chrono::milliseconds(1));
  s.Beat();  // the lease is not renewed, then reaped, by this worker
  ASSERT_TRUE(ccci::testing::WaitUntil([&] { return Get(id).state == kRunQueued; },
                                       std::chrono::seconds(30), std::chrono::milliseconds(5)));
  EXPECT_EQ(s.active(), 0) << "the suite ended before the run was queued again";
  ccci::Run run = Get(id);
  EXPECT_EQ(run.attempts, 1);
  EXPECT_EQ(run.worker, "w1");
  EXPECT_EQ(run.reason, "queued again: its worker w1 stopped renewing its lease");
  std::string teardown = Sh("cat '" + options_.data_dir + "/runs/" + std::to_string(id) +
                            "/teardown.log' 2>/dev/null || true");
  EXPECT_NE(teardown.find("abra app undeploy"), std::string::npos) << "the suite tore it down";
  s.Stop();
  EXPECT_EQ(Get(id).state, kRunQueued);
}

TEST_F(SchedulerLeasesTest, TheBeatReapsTheRunsOfAWorkerThatStoppedRenewing) {
  int64_t id = Queue(3);
  ASSERT_TRUE(store_->ClaimNext("gone", kLease.count(), "default").value().has_value());
  Scheduler s(store_.get(), store_.get(), &open_, &executor_, options_, {}, nullptr);
  s.Beat();
  EXPECT_EQ(Get(id).state, kRunRunning) << "its lease still holds";
  clock_.Advance(kLease + std::chrono::milliseconds(1));
  s.Beat();
  // Taken over for its teardown on this server, then queued again.
  ASSERT_TRUE(ccci::testing::WaitUntil([&] { return Get(id).state == kRunQueued; },
                                       std::chrono::seconds(30), std::chrono::milliseconds(10)));
  EXPECT_EQ(Get(id).reason, "queued again: its worker gone stopped renewing its lease");
  EXPECT_EQ(Get(id).attempts, 1);
  s.Stop();
}

// A gate that cannot answer at first (Gitea down), then holds the run: the scheduler's look
// before the claim skips the run, the claim takes it, and the gate, asked again, holds it.
class UnavailableThenHold : public RunGate {
 public:
  Result<GateDecision> Admit(const ccci::Run&) override {
    if (calls_++ == 0) return Unavailable("gitea is down");
    return GateDecision{false, "waiting for a trusted `!cc-ci ok-to-test`"};
  }

 private:
  std::atomic<int> calls_{0};
};

// A run the gate holds after its claim is given back as `waiting`, as if never claimed.
TEST_F(SchedulerLeasesTest, ARunTheGateHoldsAfterItsClaimWaitsAsIfNeverClaimed) {
  int64_t id = Queue(3);
  UnavailableThenHold gate;
  ccci::testing::FakeExecutor fake;
  Scheduler s(store_.get(), store_.get(), &gate, &fake, options_, {}, nullptr);
  s.Start();
  ASSERT_TRUE(ccci::testing::WaitUntil([&] { return Get(id).state == kRunWaiting; },
                                       std::chrono::seconds(30), std::chrono::milliseconds(10)));
  s.Stop();
  ccci::Run run = Get(id);
  EXPECT_EQ(run.attempts, 0) << "the claim is undone";
  EXPECT_EQ(run.reason, "waiting for a trusted `!cc-ci ok-to-test`");
  EXPECT_EQ(run.lease_until_ms, 0);
  EXPECT_TRUE(fake.calls().empty()) << "nothing ran";
}

// A worker restarted on a shared store: its own run left running is torn down and queued
// again; another worker's is left alone; a work dir left by a run it lost (finished
// elsewhere since) is torn down too.
TEST_F(SchedulerLeasesTest, ARestartedWorkerRecoversOnlyItsOwnRunsAndSweepsItsOrphans) {
  options_.shared_store = true;
  int64_t mine = Queue(1);
  int64_t theirs = Queue(2);
  int64_t lost = Queue(3);
  ASSERT_TRUE(store_->ClaimNext("w1", kLease.count(), "default").value().has_value());
  ASSERT_TRUE(store_->ClaimNext("w2", kLease.count(), "default").value().has_value());
  auto other = store_->ClaimNext("w3", kLease.count(), "default").value();
  ASSERT_TRUE(other.has_value());
  ASSERT_TRUE(store_->FinishRun(other->holder(), lost, kRunFinished, 5, "").ok());
  for (int64_t id : {mine, lost}) {
    Sh("mkdir -p '" + options_.data_dir + "/work/" + std::to_string(id) + "/abra'");
  }
  ccci::testing::FakeExecutor fake;
  Scheduler s(store_.get(), store_.get(), &open_, &fake, options_, {}, nullptr);
  ASSERT_TRUE(s.Recover().ok());
  EXPECT_EQ(Get(mine).state, kRunQueued);
  EXPECT_EQ(Get(theirs).state, kRunRunning);
  EXPECT_EQ(Get(theirs).worker, "w2");
  EXPECT_EQ(Get(lost).state, kRunFinished) << "an orphan's run is not touched, only its app";
  std::string undeployed;
  for (const Command& c : fake.calls()) {
    for (const std::string& a : c.argv) undeployed += a + " ";
    undeployed += "\n";
  }
  EXPECT_NE(undeployed.find("undeploy --no-input -- traefik-1-" + std::to_string(mine)),
            std::string::npos)
      << undeployed;
  EXPECT_NE(undeployed.find("undeploy --no-input -- traefik-3-" + std::to_string(lost)),
            std::string::npos)
      << undeployed;
  EXPECT_EQ(undeployed.find("traefik-2-"), std::string::npos) << "w2's app is w2's";
  EXPECT_FALSE(std::filesystem::exists(options_.data_dir + "/work/" + std::to_string(lost)));
}

// Every command line the fake executor was given, one a line.
std::string CommandLines(const ccci::testing::FakeExecutor& fake) {
  std::string out;
  for (const Command& c : fake.calls()) {
    for (const std::string& a : c.argv) out += a + " ";
    out += "\n";
  }
  return out;
}

// The reaper (issue 15): runs claimed for this worker's server by a worker that stopped
// renewing get their stacks removed here, with docker alone (their work dirs are on the lost
// worker's host), whether queued again or a CI error; a run claimed for another server is
// not this worker's to clean up.
TEST_F(SchedulerLeasesTest, TheReaperRemovesTheStacksOfRunsClaimedForItsServer) {
  options_.max_attempts = 2;
  int64_t again = Queue(1);
  int64_t last = Queue(2);
  int64_t elsewhere = Queue(3);
  ASSERT_TRUE(store_->ClaimNext("gone", kLease.count(), "default").value().has_value());
  for (int i = 0; i < 2; ++i) {  // `last` in its second attempt: reaping ends it
    auto l = store_->ClaimNext("gone", kLease.count(), "default").value();
    ASSERT_TRUE(l.has_value());
    if (i == 0) {
      ASSERT_TRUE(store_->RequeueRun(l->holder(), last, "").ok());
    }
  }
  ASSERT_TRUE(store_->ClaimNext("gone", kLease.count(), "other-host").value().has_value());
  ASSERT_EQ(Get(last).attempts, 2);
  ccci::testing::FakeExecutor fake;
  Scheduler s(store_.get(), store_.get(), &open_, &fake, options_, {}, nullptr);
  clock_.Advance(kLease + std::chrono::milliseconds(1));
  s.Beat();
  EXPECT_EQ(Get(last).state, kRunError);
  EXPECT_EQ(Get(elsewhere).state, kRunQueued) << "queued at once: no teardown here";
  auto removed = [&](int64_t pr, int64_t id) {
    return CommandLines(fake).find("docker --context default stack rm traefik-" +
                                   std::to_string(pr) + "-" + std::to_string(id) + "_ci_test") !=
           std::string::npos;
  };
  ASSERT_TRUE(ccci::testing::WaitUntil([&] { return removed(1, again) && removed(2, last); },
                                       std::chrono::seconds(30), std::chrono::milliseconds(10)))
      << CommandLines(fake);
  s.Stop();  // waits for the reaper's teardowns
  EXPECT_EQ(Get(again).state, kRunQueued) << "queued again once torn down";
  EXPECT_EQ(Get(again).worker, "gone");
  EXPECT_FALSE(removed(3, elsewhere)) << "its stack is on other-host";
  EXPECT_NE(CommandLines(fake).find("docker --context default volume ls --quiet --filter "
                                    "label=com.docker.stack.namespace=traefik-1-"),
            std::string::npos)
      << CommandLines(fake);
  EXPECT_TRUE(
      std::filesystem::exists(options_.data_dir + "/runs/" + std::to_string(last) + "/reaper.log"));
}

// A worker restarted while its reaper held a take-over (killed mid-teardown) finishes it: the
// stack is torn down, then the run queued again, no attempt burnt.
TEST_F(SchedulerLeasesTest, ARestartedWorkerFinishesTheTakeOverItsReaperHeld) {
  options_.shared_store = true;
  int64_t id = Queue(1);
  ASSERT_TRUE(store_->ClaimNext("gone", kLease.count(), "default").value().has_value());
  clock_.Advance(kLease + std::chrono::milliseconds(1));
  ASSERT_EQ(store_->ReapExpiredLeases("w1", "default", kLease.count(), 3)->size(), 1u);
  ASSERT_EQ(Get(id).reaped_from, "gone");
  ccci::testing::FakeExecutor fake;
  Scheduler s(store_.get(), store_.get(), &open_, &fake, options_, {}, nullptr);
  ASSERT_TRUE(s.Recover().ok());
  EXPECT_NE(CommandLines(fake).find("docker --context default stack rm traefik-1-" +
                                    std::to_string(id) + "_ci_test"),
            std::string::npos)
      << CommandLines(fake);
  ccci::Run run = Get(id);
  EXPECT_EQ(run.state, kRunQueued);
  EXPECT_EQ(run.attempts, 1);
  EXPECT_EQ(run.reaped_from, "");
  EXPECT_EQ(run.reason, "queued again: its worker gone stopped renewing its lease");
}

// At startup the worker's server is swept: a stack named exactly as a run's that is not
// running goes; a running run's stack and stacks that are not cc-ci's stay.
TEST_F(SchedulerLeasesTest, AtStartupTheStacksOfRunsNotRunningAreRemoved) {
  options_.shared_store = true;
  int64_t done = Queue(1);
  int64_t running = Queue(2);
  auto l = store_->ClaimNext("w9", kLease.count(), "default").value();
  ASSERT_TRUE(l.has_value());
  ASSERT_TRUE(store_->FinishRun(l->holder(), done, kRunFinished, 5, "").ok());
  ASSERT_TRUE(store_->ClaimNext("w2", kLease.count(), "default").value().has_value());
  const std::string done_stack = "traefik-1-" + std::to_string(done) + "_ci_test";
  const std::string running_stack = "traefik-2-" + std::to_string(running) + "_ci_test";
  const std::string not_ours = "traefik-1-" + std::to_string(done) + "_ci_test_x";
  ccci::testing::FakeExecutor fake;
  fake.AddRule({{"docker", "--context", "default", "stack", "ls"},
                ExecResult{0},
                "NAME\n" + done_stack + "\n" + running_stack + "\n" + not_ours + "\nback-ups\n"});
  Scheduler s(store_.get(), store_.get(), &open_, &fake, options_, {}, nullptr);
  ASSERT_TRUE(s.Recover().ok());
  std::string lines = CommandLines(fake);
  EXPECT_NE(lines.find("docker --context default stack ls --format {{.Name}}"), std::string::npos)
      << lines;
  EXPECT_NE(lines.find("stack rm " + done_stack + " \n"), std::string::npos) << lines;
  EXPECT_EQ(lines.find("stack rm " + running_stack), std::string::npos) << lines;
  EXPECT_EQ(lines.find("stack rm " + not_ours), std::string::npos) << lines;
  EXPECT_EQ(lines.find("stack rm back-ups"), std::string::npos) << lines;
  EXPECT_EQ(Get(done).state, kRunFinished) << "only its stack is touched";
}

// Answers everything with exit 0, except `docker ... stack rm`, which waits until released.
class GatedStackRm : public Executor {
 public:
  Result<ExecResult> Run(const Command& cmd, OutputSink& sink, const CancelToken&) override {
    std::string line;
    for (const std::string& a : cmd.argv) line += a + " ";
    std::unique_lock<std::mutex> l(mu_);
    calls_ += line + "\n";
    if (line.find(" stack rm ") != std::string::npos) {
      in_rm_ = true;
      cv_.wait(l, [&] { return released_; });
    }
    sink.Close();
    ExecResult r;
    r.exit_code = 0;
    return r;
  }
  bool InRm() {
    std::lock_guard<std::mutex> l(mu_);
    return in_rm_;
  }
  std::string Calls() {
    std::lock_guard<std::mutex> l(mu_);
    return calls_;
  }
  void Release() {
    std::lock_guard<std::mutex> l(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::string calls_;
  bool in_rm_ = false;
  bool released_ = false;
};

class CountingGate : public RunGate {
 public:
  Result<GateDecision> Admit(const ccci::Run&) override {
    ++asked;
    return GateDecision{};
  }
  std::atomic<int> asked{0};
};

// Two workers on one swarm, with one runner.server name. While w1's reaper still removes what
// the lost attempt left on the server, the run is w1's (taken over), so w2 does not claim it
// (it claims a run queued after it instead, the oldest first); once the teardown ended and
// w1 queued the run again, w2 claims it.
TEST_F(SchedulerLeasesTest, ARunIsNotClaimedOnItsServerBeforeItsStackIsTornDown) {
  int64_t id = Queue(1);
  ASSERT_TRUE(store_->ClaimNext("gone", kLease.count(), "default").value().has_value());
  GatedStackRm swarm1;
  CountingGate gate1;
  Scheduler s1(store_.get(), store_.get(), &gate1, &swarm1, options_, {}, nullptr);
  GatedStackRm swarm2;
  swarm2.Release();
  CountingGate gate2;
  SchedulerOptions o2 = options_;
  o2.worker = "w2";
  o2.concurrency = 2;
  o2.data_dir = dir_.path() + "/data2";
  Scheduler s2(store_.get(), store_.get(), &gate2, &swarm2, o2, {}, nullptr);
  s2.Start();  // s1 only reaps (its Beat is called here): every claim is s2's
  clock_.Advance(kLease + std::chrono::milliseconds(1));
  s1.Beat();
  ASSERT_TRUE(ccci::testing::WaitUntil([&] { return swarm1.InRm(); }, std::chrono::seconds(30),
                                       std::chrono::milliseconds(5)));
  int64_t later = Queue(2);
  s2.Kick();
  ASSERT_TRUE(ccci::testing::WaitUntil([&] { return Get(later).worker == "w2"; },
                                       std::chrono::seconds(30), std::chrono::milliseconds(5)))
      << "w2 looked at the queue";
  ccci::Run run = Get(id);
  EXPECT_EQ(run.state, kRunRunning);
  EXPECT_EQ(run.worker, "w1") << "taken over by w1's reaper, not claimed by w2";
  EXPECT_EQ(run.reaped_from, "gone");
  EXPECT_EQ(run.attempts, 1);
  EXPECT_EQ(swarm1.Calls().find("git "), std::string::npos) << swarm1.Calls();
  swarm1.Release();
  ASSERT_TRUE(
      ccci::testing::WaitUntil([&] { return Get(id).worker == "w2" && Get(id).attempts == 2; },
                               std::chrono::seconds(30), std::chrono::milliseconds(5)))
      << "claimed by w2 once w1's teardown ended";
  EXPECT_EQ(Get(id).reaped_from, "");
  s2.Stop();
  s1.Stop();
}

}  // namespace
}  // namespace ccci::runner
