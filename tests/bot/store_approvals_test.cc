// Approvals in the store (every driver): ok-to-test releases a PR's waiting runs and keeps counting
// for later pushes until the PR is closed; a trusted retest releases one held run.
#include <gtest/gtest.h>

#include "bot/store/sql_store.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/store_drivers.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/test_store.h"

namespace ccci {
namespace {

constexpr const char* kRepo = "coop-cloud/bonfire";
constexpr const char* kHeld = "waiting for a trusted `!cc-ci ok-to-test`";

class StoreApprovalsTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    db_.Prepare();
    if (db_.available()) Open();
  }
  void Open() {
    store_.reset();
    store_ = db_.Open(&clock_);
    ASSERT_TRUE(store_);
  }
  // A push to repo#pr, as the intake records it; returns the run.
  int64_t Push(int64_t pr, const std::string& sha, const std::string& repo = kRepo) {
    Delivery d;
    d.id = "d-" + repo + std::to_string(pr) + sha;
    d.event = "pull_request";
    d.action = "synchronized";
    d.repo = repo;
    d.pr = pr;
    Work w;
    w.kind = Work::Kind::kQueueRun;
    w.run.repo = repo;
    w.run.pr = pr;
    w.run.head_sha = sha;
    w.run.author = "mallory";
    w.run.trigger = "synchronized";
    auto out = store_->RecordDelivery(d, w);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? out->run_id : 0;
  }
  void Close(int64_t pr, const std::string& delivery) {
    Delivery d;
    d.id = delivery;
    d.event = "pull_request";
    d.action = "closed";
    d.repo = kRepo;
    d.pr = pr;
    Work w;
    w.kind = Work::Kind::kCancel;
    w.cancel_repo = kRepo;
    w.cancel_pr = pr;
    w.cancel_reason = "pull request closed";
    ASSERT_TRUE(store_->RecordDelivery(d, w).ok());
  }
  // Pushes and lets the scheduler hold the run, as the trust gate would for an untrusted author.
  int64_t PushAndHold(int64_t pr, const std::string& sha) {
    int64_t id = Push(pr, sha);
    EXPECT_TRUE(store_->HoldRun(id, kHeld).ok());
    return id;
  }
  ccci::Run Get(int64_t id) {
    auto r = store_->GetRun(id);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : ccci::Run{};
  }
  bool Approved(int64_t pr, const std::string& repo = kRepo) {
    auto a = store_->IsApproved(repo, pr);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() && *a;
  }

  testing::DriverStore db_{GetParam()};
  testing::FakeClock clock_;
  std::unique_ptr<SqlStore> store_;
};

TEST_P(StoreApprovalsTest, ApproveReleasesThatPrsWaitingRunsOnly) {
  int64_t a = PushAndHold(1, "aaa");
  int64_t b = PushAndHold(2, "bbb");
  ASSERT_EQ(Get(a).state, kRunWaiting);
  clock_.Advance(std::chrono::seconds(5));
  auto released = store_->Approve(kRepo, 1, "dana");
  ASSERT_TRUE(released.ok()) << released.status().ToString();
  EXPECT_EQ(*released, std::vector<int64_t>{a});
  ccci::Run run = Get(a);
  EXPECT_EQ(run.state, kRunQueued);
  EXPECT_EQ(run.reason, "");
  EXPECT_EQ(run.updated_at_ms, clock_.NowUnixMillis());
  EXPECT_EQ(Get(b).state, kRunWaiting);
  EXPECT_TRUE(Approved(1));
  EXPECT_FALSE(Approved(2));
  EXPECT_FALSE(Approved(1, "coop-cloud/traefik")) << "approvals are per repo";
  ASSERT_EQ(store_->QueuedRuns(10)->size(), 1u);
}

TEST_P(StoreApprovalsTest, AnApprovalWithNothingWaitingCountsForLaterPushes) {
  auto released = store_->Approve(kRepo, 3, "dana");
  ASSERT_TRUE(released.ok());
  EXPECT_TRUE(released->empty());
  EXPECT_TRUE(Approved(3));
  int64_t id = Push(3, "ccc");
  EXPECT_EQ(Get(id).state, kRunQueued);
}

TEST_P(StoreApprovalsTest, AHoldThatRacesWithTheApprovalLeavesTheRunQueued) {
  int64_t id = Push(4, "ddd");  // the gate said "hold" just before the approval committed
  ASSERT_TRUE(store_->Approve(kRepo, 4, "dana").ok());
  ASSERT_TRUE(store_->HoldRun(id, kHeld).ok());
  ccci::Run run = Get(id);
  EXPECT_EQ(run.state, kRunQueued);
  EXPECT_EQ(run.reason, "");
  // Without an approval, the same hold holds.
  int64_t other = Push(5, "eee");
  ASSERT_TRUE(store_->HoldRun(other, kHeld).ok());
  EXPECT_EQ(Get(other).state, kRunWaiting);
  EXPECT_EQ(Get(other).reason, kHeld);
}

TEST_P(StoreApprovalsTest, ApprovingTwiceKeepsTheFirstApprover) {
  ASSERT_TRUE(store_->Approve(kRepo, 6, "dana").ok());
  ASSERT_TRUE(store_->Approve(kRepo, 6, "erin").ok());
  std::string by;
  ASSERT_TRUE(store_
                  ->Write([&](SqlDb& db) -> Status {
                    auto s =
                        db.Prepare("SELECT approved_by FROM approvals WHERE repo = ?1 AND pr = 6");
                    if (!s.ok()) return s.status();
                    (*s)->Bind(1, std::string(kRepo));
                    auto row = (*s)->Step();
                    if (!row.ok()) return row.status();
                    if (*row) by = (*s)->Text(0);
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(by, "dana");
}

TEST_P(StoreApprovalsTest, ClosingThePrEndsItsApprovalOnly) {
  ASSERT_TRUE(store_->Approve(kRepo, 7, "dana").ok());
  ASSERT_TRUE(store_->Approve(kRepo, 8, "dana").ok());
  Close(7, "close-7");
  EXPECT_FALSE(Approved(7));
  EXPECT_TRUE(Approved(8));
  // Reopened: the next push is held again until a new ok-to-test.
  int64_t id = PushAndHold(7, "fff");
  EXPECT_EQ(Get(id).state, kRunWaiting);
}

TEST_P(StoreApprovalsTest, AnApprovalSurvivesARestart) {
  ASSERT_TRUE(store_->Approve(kRepo, 9, "dana").ok());
  Open();
  EXPECT_TRUE(Approved(9));
}

TEST_P(StoreApprovalsTest, ATrustedRetestReleasesOneHeldRunAsARetest) {
  int64_t id = PushAndHold(10, "ggg");
  auto released = store_->RetestWaitingRun(id, "dana");
  ASSERT_TRUE(released.ok()) << released.status().ToString();
  EXPECT_TRUE(*released);
  ccci::Run run = Get(id);
  EXPECT_EQ(run.state, kRunQueued);
  EXPECT_EQ(run.trigger, "retest");
  EXPECT_EQ(run.reason, "retest by dana");
  EXPECT_FALSE(*store_->RetestWaitingRun(id, "dana")) << "no longer waiting";
  EXPECT_FALSE(Approved(10)) << "a retest is not an approval";
  int64_t next = PushAndHold(10, "hhh");
  EXPECT_EQ(Get(next).state, kRunWaiting);
}

INSTANTIATE_TEST_SUITE_P(Drivers, StoreApprovalsTest, ::testing::ValuesIn(testing::kStoreDrivers),
                         testing::DriverName);

}  // namespace
}  // namespace ccci
