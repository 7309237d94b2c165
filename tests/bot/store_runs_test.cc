// The runner's side of the store, on every driver: claim, stages, report keys, finish, requeue,
// hold.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "bot/store/run_rows.h"
#include "bot/store/sql_store.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/store_drivers.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/test_store.h"

namespace ccci {
namespace {

class StoreRunsTest : public testing::DriverStoreTest {
 protected:
  int64_t Queue(int64_t pr, const std::string& sha) {
    return testing::QueueRun(store_.get(), testing::PrRun("coop-cloud/bonfire", pr, sha));
  }
  ccci::Run Get(int64_t id) {
    auto r = store_->GetRun(id);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : ccci::Run{};
  }
  std::vector<int64_t> UnreportedIds() {
    std::vector<int64_t> ids;
    auto runs = store_->UnreportedRuns(100);
    EXPECT_TRUE(runs.ok());
    if (runs.ok()) {
      for (const ccci::Run& r : *runs) ids.push_back(r.id);
    }
    return ids;
  }
  void MarkReported(const ccci::Run& run) {
    ASSERT_TRUE(store_->EnqueueRunReport(run.id, ReportKey(run), {}).ok());
  }
};

TEST_P(StoreRunsTest, ClaimsAQueuedRunOnceAndOldestFirst) {
  int64_t a = Queue(1, "aaa");
  int64_t b = Queue(2, "bbb");
  auto queued = store_->QueuedRuns(10);
  ASSERT_TRUE(queued.ok());
  ASSERT_EQ(queued->size(), 2u);
  EXPECT_EQ((*queued)[0].id, a);
  EXPECT_TRUE(*store_->ClaimRun(a));
  EXPECT_FALSE(*store_->ClaimRun(a)) << "a run is claimed once";
  ccci::Run run = Get(a);
  EXPECT_EQ(run.state, kRunRunning);
  EXPECT_EQ(run.attempts, 1);
  EXPECT_TRUE(run.started_at_ms.has_value());
  ASSERT_EQ(store_->QueuedRuns(10)->size(), 1u);
  EXPECT_EQ((*store_->QueuedRuns(10))[0].id, b);
}

TEST_P(StoreRunsTest, ASupersededRunCannotBeClaimed) {
  int64_t a = Queue(1, "aaa");
  Queue(1, "bbb");  // a newer push supersedes the queued run
  EXPECT_EQ(Get(a).state, kRunSuperseded);
  EXPECT_FALSE(*store_->ClaimRun(a));
}

TEST_P(StoreRunsTest, StagesAreRecordedInOrderAndTheRunningOneIsReported) {
  int64_t a = Queue(1, "aaa");
  MarkReported(Get(a));
  EXPECT_TRUE(UnreportedIds().empty());
  ASSERT_TRUE(*store_->ClaimRun(a));
  MarkReported(Get(a));
  StageRecord install{a,    0, "install",           kStageRunning, "", std::nullopt,
                      1000, 0, "runs/1/install.log"};
  ASSERT_TRUE(store_->RecordStage(install).ok());
  EXPECT_EQ(Get(a).stage, "install");
  EXPECT_EQ(ReportKey(Get(a)), "running:install");
  EXPECT_EQ(UnreportedIds(), std::vector<int64_t>{a}) << "a new stage is news for the PR";
  MarkReported(Get(a));
  EXPECT_TRUE(UnreportedIds().empty());

  install.status = kStagePass;
  install.exit_code = 0;
  install.duration_ms = 4200;
  ASSERT_TRUE(store_->RecordStage(install).ok());
  StageRecord lint{a, 5, "lint", kStageFail, "R014 failed", 0, 9000, 300, "runs/1/lint.log"};
  ASSERT_TRUE(store_->RecordStage(lint).ok());
  StageRecord upgrade{a,    1, "upgrade", kStageSkip, "no previous release", std::nullopt,
                      5000, 0, ""};
  ASSERT_TRUE(store_->RecordStage(upgrade).ok());
  auto stages = store_->ListStages(a);
  ASSERT_TRUE(stages.ok());
  ASSERT_EQ(stages->size(), 3u);
  EXPECT_EQ((*stages)[0].name, "install");
  EXPECT_EQ((*stages)[0].status, kStagePass);
  EXPECT_EQ((*stages)[0].duration_ms, 4200);
  EXPECT_EQ((*stages)[0].exit_code, 0);
  EXPECT_EQ((*stages)[1].name, "upgrade");
  EXPECT_FALSE((*stages)[1].exit_code.has_value());
  EXPECT_EQ((*stages)[2].reason, "R014 failed");

  ASSERT_TRUE(store_->FinishRun(a, kRunFinished, 1, "").ok());
  ccci::Run done = Get(a);
  EXPECT_EQ(done.state, kRunFinished);
  EXPECT_EQ(done.level, 1);
  EXPECT_EQ(done.stage, "");
  EXPECT_TRUE(done.finished_at_ms.has_value());
  EXPECT_EQ(UnreportedIds(), std::vector<int64_t>{a});
  EXPECT_EQ(store_->FinishRun(a, kRunFinished, 2, "").code(), Code::kFailedPrecondition)
      << "a finished run stays finished";
}

TEST_P(StoreRunsTest, RequeueClearsStagesAndKeepsTheAttemptCount) {
  int64_t a = Queue(1, "aaa");
  ASSERT_TRUE(*store_->ClaimRun(a));
  ASSERT_TRUE(store_->RecordStage({a, 0, "install", kStageRunning, "", {}, 1, 0, ""}).ok());
  ASSERT_TRUE(store_->RequeueRun(a, "cc-ci restarted during the run").ok());
  ccci::Run run = Get(a);
  EXPECT_EQ(run.state, kRunQueued);
  EXPECT_EQ(run.attempts, 1);
  EXPECT_EQ(run.reason, "cc-ci restarted during the run");
  EXPECT_TRUE(store_->ListStages(a)->empty());
  ASSERT_TRUE(*store_->ClaimRun(a));
  EXPECT_EQ(Get(a).attempts, 2);
}

TEST_P(StoreRunsTest, HoldMovesOnlyAQueuedRunToWaiting) {
  int64_t a = Queue(1, "aaa");
  ASSERT_TRUE(store_->HoldRun(a, "waiting for ok-to-test").ok());
  EXPECT_EQ(Get(a).state, kRunWaiting);
  EXPECT_EQ(Get(a).reason, "waiting for ok-to-test");
  EXPECT_FALSE(*store_->ClaimRun(a));
  EXPECT_TRUE(store_->QueuedRuns(10)->empty());
}

TEST_P(StoreRunsTest, HoldRunsHoldsTheQueuedOnesOfABatchEachWithItsReason) {
  int64_t a = Queue(1, "aaa");
  int64_t b = Queue(2, "bbb");
  int64_t c = Queue(3, "ccc");
  ASSERT_TRUE(*store_->ClaimRun(b));
  ASSERT_TRUE(
      store_->HoldRuns({{a, "waiting for a"}, {b, "waiting for b"}, {c, "waiting for c"}}).ok());
  EXPECT_EQ(Get(a).state, kRunWaiting);
  EXPECT_EQ(Get(a).reason, "waiting for a");
  EXPECT_EQ(Get(b).state, kRunRunning) << "only a queued run is held";
  EXPECT_EQ(Get(c).state, kRunWaiting);
  EXPECT_EQ(Get(c).reason, "waiting for c");
  EXPECT_TRUE(store_->HoldRuns({}).ok());
  EXPECT_TRUE(store_->QueuedRuns(10)->empty());
}

TEST_P(StoreRunsTest, ClaimNextTakesTheOldestQueuedRunOnceWithItsLease) {
  int64_t a = Queue(1, "aaa");
  int64_t b = Queue(2, "bbb");
  auto first = store_->ClaimNext("host-1/0", 30000, "default");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->run.id, a);
  EXPECT_EQ((*first)->run.state, kRunRunning);
  EXPECT_EQ((*first)->run.attempts, 1);
  EXPECT_EQ((*first)->worker, "host-1/0");
  EXPECT_EQ((*first)->lease_until_ms, clock_.NowUnixMillis() + 30000);
  EXPECT_EQ((*first)->run.server, "default");
  auto second = store_->ClaimNext("host-2/0", 30000, "test-host-2");
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ((*second)->run.id, b);
  // The server each was claimed for stays with the run (the reaper tears its stack down there).
  EXPECT_EQ(store_->GetRun(a)->server, "default");
  EXPECT_EQ(store_->GetRun(b)->server, "test-host-2");
  auto none = store_->ClaimNext("host-3/0", 30000, "default");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_FALSE(store_->ClaimRun(a).value()) << "a claimed run is not queued";
}

// A claim seeks the oldest queued run through an index on both drivers; it does not walk the
// finished runs before it (a server's history grows without bound, its queue does not).
TEST_P(StoreRunsTest, AClaimSeeksTheQueuedRunPastTheHistory) {
  ASSERT_TRUE(store_
                  ->Write([](SqlDb& db) {
                    return db.Exec(
                        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < "
                        "5000) INSERT INTO runs (repo, pr, head_sha, head_ref, base_ref, "
                        "clone_url, title, author, trigger, delivery_id, state, created_at, "
                        "updated_at) SELECT 'o/r', i, 's', 'h', 'main', 'u', 't', 'a', 'opened', "
                        "'d' || i, 'finished', 0, 0 FROM n");
                  })
                  .ok());
  int64_t queued = Queue(1, "aaa");
  std::string plan;
  ASSERT_TRUE(store_
                  ->Write([&](SqlDb& db) -> Status {
                    bool pg = std::string(GetParam()) == "postgres";
                    if (Status st = db.Exec(pg ? "ANALYZE runs" : "ANALYZE"); !st.ok()) return st;
                    auto s = db.Prepare(std::string(pg ? "EXPLAIN " : "EXPLAIN QUERY PLAN ") +
                                        kOldestQueuedRunSql);
                    if (!s.ok()) return s.status();
                    for (;;) {
                      auto row = (*s)->Step();
                      if (!row.ok()) return row.status();
                      if (!*row) return Status::Ok();
                      // SQLite: (id, parent, notused, detail); PostgreSQL: one text column.
                      plan += (*s)->Text(pg ? 0 : 3) + "\n";
                    }
                  })
                  .ok());
  if (std::string(GetParam()) == "postgres") {
    EXPECT_NE(plan.find("runs_queued"), std::string::npos) << plan;
  } else {
    EXPECT_NE(plan.find("SEARCH runs USING COVERING INDEX runs_by_state (state=?)"),
              std::string::npos)
        << plan;
  }
  auto lease = store_->ClaimNext("w", 30000, "default");
  ASSERT_TRUE(lease.ok() && lease->has_value());
  EXPECT_EQ((*lease)->run.id, queued);
}

// A worker that lost its lease (paused past it, its run requeued and claimed again) cannot
// extend it: only the holder, in the attempt it claimed, can.
TEST_P(StoreRunsTest, OnlyTheLeaseHolderInItsAttemptExtendsTheLease) {
  int64_t id = Queue(3, "ccc");
  auto lease = store_->ClaimNext("w1", 30000, "default").value();
  ASSERT_TRUE(lease.has_value());
  clock_.Advance(std::chrono::seconds(10));
  EXPECT_TRUE(store_->ExtendLease(id, "w1", 1, 30000).value());
  EXPECT_FALSE(store_->ExtendLease(id, "w2", 1, 30000).value());
  EXPECT_FALSE(store_->ExtendLease(id, "w1", 2, 30000).value());
  ASSERT_TRUE(store_->RequeueRun(id, "lease expired").ok());
  auto again = store_->ClaimNext("w2", 30000, "default").value();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->run.attempts, 2);
  EXPECT_FALSE(store_->ExtendLease(id, "w1", 1, 30000).value()) << "w1 lost it";
  EXPECT_TRUE(store_->ExtendLease(id, "w2", 2, 30000).value());
  ASSERT_TRUE(store_->FinishRun(id, kRunFinished, 5, "").ok());
  EXPECT_FALSE(store_->ExtendLease(id, "w2", 2, 30000).value()) << "a finished run";
}

// Four workers, each with its own connections (as on four hosts), claim 40 runs at once:
// every run is claimed exactly once.
TEST_P(StoreRunsTest, ConcurrentClaimersNeverTakeTheSameRun) {
  constexpr int kRuns = 40, kWorkers = 4;
  for (int i = 0; i < kRuns; ++i) Queue(100 + i, "s" + std::to_string(i));
  std::vector<std::unique_ptr<SqlStore>> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.push_back(db_.Open(&clock_));
    ASSERT_TRUE(workers.back());
  }
  std::mutex mu;
  std::vector<int64_t> claimed;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&, w] {
      for (;;) {
        auto l = workers[w]->ClaimNext("w" + std::to_string(w), 30000, "default");
        if (!l.ok()) {
          ++errors;  // counted, and the test fails: a claim must not error under contention
          continue;
        }
        if (!l->has_value()) return;
        std::lock_guard<std::mutex> lock(mu);
        claimed.push_back((*l)->run.id);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::sort(claimed.begin(), claimed.end());
  EXPECT_EQ(claimed.size(), static_cast<size_t>(kRuns));
  EXPECT_EQ(std::unique(claimed.begin(), claimed.end()), claimed.end()) << "a run claimed twice";
  EXPECT_EQ(errors.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(Drivers, StoreRunsTest, ::testing::ValuesIn(testing::kStoreDrivers),
                         testing::DriverName);

}  // namespace
}  // namespace ccci
