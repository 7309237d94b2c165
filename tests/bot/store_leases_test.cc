// Leases on every driver, on a fake clock: what a worker holding a claimed run may write
// (fencing), the reaper that takes runs back from workers that stopped renewing their lease,
// releasing a claim, and the work signal (PostgreSQL's NOTIFY; SQLite only times out).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "bot/store/sql_store.h"
#include "bot/store/work_signal.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/store_drivers.h"
#include "tests/fakes/test_store.h"

namespace ccci {
namespace {

constexpr int64_t kLeaseMs = 30000;

class StoreLeasesTest : public testing::DriverStoreTest {
 protected:
  int64_t Queue(int64_t pr, const std::string& sha) {
    return testing::QueueRun(store_.get(), testing::PrRun("coop-cloud/bonfire", pr, sha));
  }
  Lease Claim(const std::string& worker) {
    auto lease = store_->ClaimNext(worker, kLeaseMs, "default");
    EXPECT_TRUE(lease.ok() && lease->has_value());
    return lease.ok() && lease->has_value() ? **lease : Lease{};
  }
  StageRecord Stage(int64_t run, const std::string& name, const std::string& status) {
    StageRecord s;
    s.run_id = run;
    s.name = name;
    s.status = status;
    s.started_at_ms = clock_.NowUnixMillis();
    return s;
  }
  ccci::Run Get(int64_t id) { return store_->GetRun(id).value(); }
  // A reaper of another server than the runs' ("default"): it queues them again at once.
  Result<std::vector<ccci::Run>> ReapElsewhere(int64_t max_attempts) {
    return store_->ReapExpiredLeases("w9", "other-host", kLeaseMs, max_attempts);
  }
  // A reaper on the runs' server: it takes them over.
  std::vector<ccci::Run> ReapHere(const std::string& reaper, int64_t max_attempts = 3) {
    auto reaped = store_->ReapExpiredLeases(reaper, "default", kLeaseMs, max_attempts);
    EXPECT_TRUE(reaped.ok()) << reaped.status().ToString();
    return reaped.ok() ? *reaped : std::vector<ccci::Run>{};
  }
};

TEST_P(StoreLeasesTest, TheHolderRecordsStagesAndFinishesItsRun) {
  int64_t id = Queue(1, "aaa");
  Lease w1 = Claim("w1");
  EXPECT_EQ(Get(id).worker, "w1");
  EXPECT_EQ(Get(id).lease_until_ms, clock_.NowUnixMillis() + kLeaseMs);
  ASSERT_TRUE(store_->RecordStage(w1.holder(), Stage(id, "install", kStageRunning)).ok());
  EXPECT_EQ(Get(id).stage, "install");
  ASSERT_TRUE(store_->FinishRun(w1.holder(), id, kRunFinished, 4, "").ok());
  EXPECT_EQ(Get(id).state, kRunFinished);
  EXPECT_EQ(Get(id).lease_until_ms, 0) << "an ended run holds no lease";
  EXPECT_EQ(Get(id).worker, "w1") << "who ran it stays known";
}

// A worker paused past its lease: the reaper queued its run again and w2 claimed it. w1's
// writes, whenever they come, change nothing.
TEST_P(StoreLeasesTest, AWorkerThatLostItsLeaseCannotRecordFinishOrRequeue) {
  int64_t id = Queue(1, "aaa");
  Lease w1 = Claim("w1");
  ASSERT_TRUE(store_->RecordStage(w1.holder(), Stage(id, "install", kStageRunning)).ok());
  clock_.Advance(std::chrono::milliseconds(kLeaseMs + 1));
  auto reaped = ReapElsewhere(3);
  ASSERT_TRUE(reaped.ok()) << reaped.status().ToString();
  ASSERT_EQ(reaped->size(), 1u);
  EXPECT_EQ((*reaped)[0].state, kRunQueued);
  EXPECT_NE((*reaped)[0].reason.find("its worker w1 stopped renewing its lease"), std::string::npos)
      << (*reaped)[0].reason;
  EXPECT_TRUE(store_->ListStages(id)->empty()) << "a requeued run starts over";
  Lease w2 = Claim("w2");
  EXPECT_EQ(w2.run.attempts, 2);

  Status s = store_->RecordStage(w1.holder(), Stage(id, "upgrade", kStageRunning));
  EXPECT_TRUE(IsLeaseLost(s)) << s.ToString();
  s = store_->FinishRun(w1.holder(), id, kRunFinished, 1, "");
  EXPECT_TRUE(IsLeaseLost(s)) << s.ToString();
  s = store_->RequeueRun(w1.holder(), id, "w1 stopping");
  EXPECT_TRUE(IsLeaseLost(s)) << s.ToString();
  EXPECT_FALSE(store_->ExtendLease(id, "w1", 1, kLeaseMs).value());
  ccci::Run run = Get(id);
  EXPECT_EQ(run.state, kRunRunning);
  EXPECT_EQ(run.worker, "w2");
  EXPECT_EQ(run.stage, "");
  EXPECT_TRUE(store_->ListStages(id)->empty()) << "nothing of w1's landed";

  ASSERT_TRUE(store_->FinishRun(w2.holder(), id, kRunFinished, 5, "").ok());
  EXPECT_EQ(Get(id).level, 5);
}

TEST_P(StoreLeasesTest, TheReaperTakesOnlyExpiredLeases) {
  int64_t a = Queue(1, "aaa");
  int64_t b = Queue(2, "bbb");
  int64_t c = Queue(3, "ccc");
  Claim("w1");
  clock_.Advance(std::chrono::seconds(20));
  Lease wb = Claim("w2");
  ASSERT_TRUE(store_->ClaimRun(c).value()) << "a run claimed without a lease (serve on SQLite)";
  clock_.Advance(std::chrono::seconds(11));  // a's lease is over, b's is not
  auto reaped = ReapElsewhere(3).value();
  ASSERT_EQ(reaped.size(), 1u);
  EXPECT_EQ(reaped[0].id, a);
  EXPECT_EQ(Get(b).state, kRunRunning);
  EXPECT_EQ(Get(c).state, kRunRunning) << "no lease, nothing to reap";
  EXPECT_TRUE(ReapElsewhere(3)->empty()) << "reaped once";
  // The heartbeat keeps b: every extension moves the end of its lease.
  clock_.Advance(std::chrono::seconds(25));
  ASSERT_TRUE(store_->ExtendLease(b, "w2", wb.run.attempts, kLeaseMs).value());
  clock_.Advance(std::chrono::seconds(25));
  EXPECT_TRUE(ReapElsewhere(3)->empty());
  EXPECT_EQ(Get(b).worker, "w2");
}

TEST_P(StoreLeasesTest, ARunThatLostItsWorkerMaxAttemptsTimesIsACiError) {
  int64_t id = Queue(1, "aaa");
  for (int attempt = 1; attempt <= 2; ++attempt) {
    Lease l = Claim("w" + std::to_string(attempt));
    ASSERT_TRUE(store_->RecordStage(l.holder(), Stage(id, "install", kStageRunning)).ok());
    clock_.Advance(std::chrono::milliseconds(kLeaseMs + 1));
    auto reaped = ReapElsewhere(2).value();
    ASSERT_EQ(reaped.size(), 1u);
  }
  ccci::Run run = Get(id);
  EXPECT_EQ(run.state, kRunError);
  EXPECT_EQ(run.reason, "lost its worker 2 times");
  EXPECT_TRUE(run.finished_at_ms.has_value());
  auto stages = store_->ListStages(id).value();
  ASSERT_EQ(stages.size(), 1u);
  EXPECT_EQ(stages[0].status, kStageError) << "the stage it was in did not finish";
  EXPECT_TRUE(store_->UnreportedRuns(10)->size() == 1u) << "the front node reports it";
}

// A reaper on the run's server takes the run over instead of queueing it: it stays running,
// under the reaper, so no worker claims it (not even one on the same server) while the
// reaper tears its stack down; no write of the lost attempt lands; then the reaper queues it.
TEST_P(StoreLeasesTest, ARunTakenOverByItsServersReaperIsClaimedOnlyOnceItIsQueuedAgain) {
  int64_t id = Queue(1, "aaa");
  Lease w1 = Claim("w1");
  ASSERT_TRUE(store_->RecordStage(w1.holder(), Stage(id, "install", kStageRunning)).ok());
  clock_.Advance(std::chrono::milliseconds(kLeaseMs + 1));
  auto reaped = ReapHere("w2");
  ASSERT_EQ(reaped.size(), 1u);
  ccci::Run run = Get(id);
  EXPECT_EQ(run.state, kRunRunning);
  EXPECT_EQ(run.worker, "w2");
  EXPECT_EQ(run.reaped_from, "w1");
  EXPECT_EQ(run.attempts, 1) << "a take-over is no attempt";
  EXPECT_EQ(run.lease_until_ms, clock_.NowUnixMillis() + kLeaseMs);
  EXPECT_EQ(run.stage, "");
  EXPECT_EQ(run.reason,
            "its worker w1 stopped renewing its lease; its stack is torn down before it is "
            "queued again");
  EXPECT_EQ(reaped[0].reaped_from, "w1") << "returned as it is now";
  EXPECT_TRUE(store_->ListStages(id)->empty());

  EXPECT_FALSE(store_->ClaimNext("w3", kLeaseMs, "default").value().has_value())
      << "not claimable while taken over";
  EXPECT_TRUE(ReapHere("w3").empty()) << "its take-over holds";
  EXPECT_TRUE(IsLeaseLost(store_->RecordStage(w1.holder(), Stage(id, "upgrade", kStageRunning))));
  EXPECT_TRUE(IsLeaseLost(store_->FinishRun(w1.holder(), id, kRunFinished, 1, "")));
  EXPECT_FALSE(store_->ExtendLease(id, "w1", 1, kLeaseMs).value());
  // The take-over is not a claim: the reaper cannot record or finish the run either.
  Holder w2{"w2", 1};
  EXPECT_TRUE(IsLeaseLost(store_->FinishRun(w2, id, kRunFinished, 1, "")));
  EXPECT_FALSE(store_->ExtendLease(id, "w2", 1, kLeaseMs).value());
  EXPECT_FALSE(store_->ExtendTakeOver({"w1", 1}, id, kLeaseMs).value()) << "w1 lost it";
  EXPECT_FALSE(store_->ExtendTakeOver({"w2", 2}, id, kLeaseMs).value()) << "another attempt";

  clock_.Advance(std::chrono::milliseconds(kLeaseMs / 2));
  ASSERT_TRUE(store_->ExtendTakeOver(w2, id, kLeaseMs).value()) << "the reaper's heartbeat";
  EXPECT_EQ(Get(id).lease_until_ms, clock_.NowUnixMillis() + kLeaseMs);
  clock_.Advance(std::chrono::milliseconds(kLeaseMs / 2 + 1));
  EXPECT_TRUE(ReapHere("w3").empty()) << "extended: still held";

  ASSERT_TRUE(store_->RequeueTakenOver(w2, id).ok());
  run = Get(id);
  EXPECT_EQ(run.state, kRunQueued);
  EXPECT_EQ(run.reason, "queued again: its worker w1 stopped renewing its lease");
  EXPECT_EQ(run.worker, "w1") << "as a requeue by another server's reaper leaves it";
  EXPECT_EQ(run.reaped_from, "");
  EXPECT_EQ(run.lease_until_ms, 0);
  EXPECT_FALSE(run.started_at_ms.has_value());
  EXPECT_TRUE(IsLeaseLost(store_->RequeueTakenOver(w2, id))) << "queued once";
  Lease w3 = Claim("w3");
  EXPECT_EQ(w3.run.id, id);
  EXPECT_EQ(w3.run.attempts, 2);
}

// A worker whose own lease expired (paused, or the store missed its beats) may reap the run
// itself: its take-over still fences off the suite that held the lost attempt.
TEST_P(StoreLeasesTest, AWorkerThatTakesOverItsOwnExpiredRunCannotRecordItsLostAttempt) {
  int64_t id = Queue(1, "aaa");
  Lease w1 = Claim("w1");
  clock_.Advance(std::chrono::milliseconds(kLeaseMs + 1));
  ASSERT_EQ(ReapHere("w1").size(), 1u);
  EXPECT_EQ(Get(id).worker, "w1");
  EXPECT_EQ(Get(id).reaped_from, "w1");
  EXPECT_TRUE(IsLeaseLost(store_->RecordStage(w1.holder(), Stage(id, "install", kStageRunning))));
  EXPECT_TRUE(IsLeaseLost(store_->FinishRun(w1.holder(), id, kRunFinished, 1, "")));
  EXPECT_TRUE(IsLeaseLost(store_->RequeueRun(w1.holder(), id, "stopping")));
  EXPECT_FALSE(store_->ExtendLease(id, "w1", 1, kLeaseMs).value());
  EXPECT_TRUE(store_->ExtendTakeOver(w1.holder(), id, kLeaseMs).value());
  ASSERT_TRUE(store_->RequeueTakenOver(w1.holder(), id).ok());
  EXPECT_EQ(Get(id).state, kRunQueued);
}

// A reaper that died (or was paused) mid-teardown loses its take-over like any lease: another
// reaper of the server takes the run over again, burning no attempt, and the first one's
// requeue is refused. A reaper of another server queues an expired take-over at once.
TEST_P(StoreLeasesTest, ALostTakeOverIsTakenOverAgainAndItsRequeueRefused) {
  int64_t id = Queue(1, "aaa");
  Claim("w1");
  clock_.Advance(std::chrono::milliseconds(kLeaseMs + 1));
  ASSERT_EQ(ReapHere("w2").size(), 1u);
  clock_.Advance(std::chrono::milliseconds(kLeaseMs + 1));  // w2 stopped renewing
  ASSERT_EQ(ReapHere("w3", 2).size(), 1u);
  ccci::Run run = Get(id);
  EXPECT_EQ(run.state, kRunRunning) << "taken over again, not a CI error: one attempt was made";
  EXPECT_EQ(run.worker, "w3");
  EXPECT_EQ(run.reaped_from, "w1") << "still the worker that lost the attempt";
  EXPECT_EQ(run.attempts, 1);
  EXPECT_FALSE(store_->ExtendTakeOver({"w2", 1}, id, kLeaseMs).value());
  Status s = store_->RequeueTakenOver({"w2", 1}, id);
  EXPECT_TRUE(IsLeaseLost(s)) << s.ToString();
  EXPECT_EQ(Get(id).state, kRunRunning);
  EXPECT_EQ(Get(id).worker, "w3") << "w2's refused requeue changed nothing";

  clock_.Advance(std::chrono::milliseconds(kLeaseMs + 1));  // w3 died too
  auto elsewhere = ReapElsewhere(3).value();
  ASSERT_EQ(elsewhere.size(), 1u);
  run = Get(id);
  EXPECT_EQ(run.state, kRunQueued);
  EXPECT_EQ(run.worker, "w1");
  EXPECT_EQ(run.reaped_from, "");
  EXPECT_EQ(run.reason, "queued again: its worker w1 stopped renewing its lease");
  EXPECT_EQ(run.attempts, 1);
  EXPECT_TRUE(IsLeaseLost(store_->RequeueTakenOver({"w3", 1}, id)));
}

// Attempts count claims only: taken over, queued and claimed again, the run is in its second
// attempt; reaped then with max_attempts 2 it is a CI error at once, not taken over (nobody
// claims it again), whichever server reaps it.
TEST_P(StoreLeasesTest, TakeOversBurnNoAttemptAndTheLastOneEndsTheRun) {
  int64_t id = Queue(1, "aaa");
  Claim("w1");
  clock_.Advance(std::chrono::milliseconds(kLeaseMs + 1));
  ASSERT_EQ(ReapHere("w2", 2).size(), 1u);
  EXPECT_EQ(Get(id).attempts, 1);
  ASSERT_TRUE(store_->RequeueTakenOver({"w2", 1}, id).ok());
  Lease w3 = Claim("w3");
  EXPECT_EQ(w3.run.attempts, 2);
  ASSERT_TRUE(store_->RecordStage(w3.holder(), Stage(id, "install", kStageRunning)).ok());
  clock_.Advance(std::chrono::milliseconds(kLeaseMs + 1));
  auto reaped = ReapHere("w2", 2);
  ASSERT_EQ(reaped.size(), 1u);
  ccci::Run run = Get(id);
  EXPECT_EQ(run.state, kRunError);
  EXPECT_EQ(run.reason, "lost its worker 2 times");
  EXPECT_EQ(run.worker, "w3");
  EXPECT_EQ(run.reaped_from, "");
  EXPECT_EQ(run.lease_until_ms, 0);
  EXPECT_TRUE(run.finished_at_ms.has_value());
  auto stages = store_->ListStages(id).value();
  ASSERT_EQ(stages.size(), 1u);
  EXPECT_EQ(stages[0].status, kStageError);
  EXPECT_TRUE(IsLeaseLost(store_->RequeueTakenOver({"w2", 2}, id)));
}

TEST_P(StoreLeasesTest, AReleasedClaimIsAsIfNeverClaimed) {
  int64_t id = Queue(1, "aaa");
  Lease l = Claim("w1");
  ASSERT_TRUE(store_->ReleaseRun(l.holder(), id, kRunWaiting, "waiting for ok-to-test").ok());
  ccci::Run run = Get(id);
  EXPECT_EQ(run.state, kRunWaiting);
  EXPECT_EQ(run.attempts, 0);
  EXPECT_EQ(run.reason, "waiting for ok-to-test");
  EXPECT_TRUE(IsLeaseLost(store_->ReleaseRun(l.holder(), id, kRunQueued, ""))) << "released once";
}

// NOTIFY reaches a listener on another connection when a run is queued; SQLite's signal only
// times out.
TEST_P(StoreLeasesTest, TheWorkSignalWakesOnANewQueuedRun) {
  auto signal = OpenWorkSignal(GetParam(), db_.Options().url);
  EXPECT_FALSE(signal->WaitForWork(std::chrono::milliseconds(20))) << "nothing yet";
  if (std::string(GetParam()) != "postgres") {
    Queue(1, "aaa");
    EXPECT_FALSE(signal->WaitForWork(std::chrono::milliseconds(20)));
    return;
  }
  Queue(1, "aaa");
  EXPECT_TRUE(signal->WaitForWork(std::chrono::seconds(10)));
  EXPECT_FALSE(signal->WaitForWork(std::chrono::milliseconds(20))) << "consumed";
  // Interrupt ends a wait at once.
  std::thread t([&] { signal->Interrupt(); });
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(signal->WaitForWork(std::chrono::seconds(30)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  t.join();
}

INSTANTIATE_TEST_SUITE_P(Drivers, StoreLeasesTest, ::testing::ValuesIn(testing::kStoreDrivers),
                         testing::DriverName);

}  // namespace
}  // namespace ccci
