// The `runs` trigger behind the workers' wake-up (bot/store/work_signal.h) is installed when a
// store opens on PostgreSQL. Replacing it locks `runs` against every open transaction that
// wrote to it, such as one of a worker stopped mid-run; a start must never hang on that.

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>

#include "bot/store/pg_db.h"
#include "bot/store/sql_store.h"
#include "bot/store/work_signal.h"
#include "tests/fakes/store_drivers.h"
#include "tests/fakes/test_store.h"

namespace ccci {
namespace {

using std::chrono::seconds;

// Far above the store's own bound on the wait (2 s), far below ctest's timeout.
constexpr seconds kHang{60};

class WorkNotifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_.Prepare();
    if (!db_.available()) return;
    ASSERT_TRUE(db_.Open()) << "the first start installs the trigger";
    auto admin = PgDb::Open(db_.Options().url);
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    admin_ = std::move(*admin);
    auto holder = PgDb::Open(db_.Options().url);
    ASSERT_TRUE(holder.ok()) << holder.status().ToString();
    holder_ = std::move(*holder);
  }

  // The trigger row's transaction id (it changes when the trigger is replaced), or "" when
  // there is none.
  std::string TriggerVersion() {
    auto q = admin_->Prepare(
        "SELECT xmin::text FROM pg_trigger WHERE tgname = 'runs_work_notify' AND "
        "tgrelid = to_regclass('runs')");
    EXPECT_TRUE(q.ok()) << q.status().ToString();
    if (!q.ok()) return "";
    auto row = (*q)->Step();
    EXPECT_TRUE(row.ok()) << row.status().ToString();
    return row.ok() && *row ? (*q)->Text(0) : "";
  }

  // What a worker stopped in the middle of writing a run holds until its session ends.
  void HoldRunsLikeAStoppedWorker() {
    ASSERT_TRUE(holder_->Exec("BEGIN; LOCK TABLE runs IN ROW EXCLUSIVE MODE").ok());
  }
  void Release() { ASSERT_TRUE(holder_->Exec("ROLLBACK").ok()); }

  // Opens the store as a node's start does; fails the test if that takes kHang (then lets it
  // finish by releasing the lock, so the test ends either way).
  bool StartsWithoutHanging() {
    auto start = std::async(std::launch::async, [&] { return db_.Open() != nullptr; });
    if (start.wait_for(kHang) != std::future_status::ready) {
      ADD_FAILURE() << "the store did not open within " << kHang.count()
                    << " s while another session held a lock on runs";
      Release();
      (void)start.get();
      return false;
    }
    return start.get();
  }

  testing::DriverStore db_{"postgres"};
  std::unique_ptr<PgDb> admin_;
  std::unique_ptr<PgDb> holder_;
};

TEST_F(WorkNotifyTest, AStartWithTheTriggerInPlaceLeavesItAlone) {
  ASSERT_TRUE(db_.available());
  std::string before = TriggerVersion();
  ASSERT_FALSE(before.empty()) << "installed by the first start";
  HoldRunsLikeAStoppedWorker();
  EXPECT_TRUE(StartsWithoutHanging());
  EXPECT_EQ(TriggerVersion(), before) << "not replaced: no lock on runs was asked for";
  Release();
}

TEST_F(WorkNotifyTest, AStartDoesNotWaitOnABusyRunsTableToInstallAMissingTrigger) {
  ASSERT_TRUE(db_.available());
  ASSERT_TRUE(admin_->Exec("DROP TRIGGER runs_work_notify ON runs").ok());
  HoldRunsLikeAStoppedWorker();
  EXPECT_TRUE(StartsWithoutHanging()) << "it opens; workers poll until the trigger is there";
  EXPECT_EQ(TriggerVersion(), "") << "not installed while runs was busy";
  Release();
  ASSERT_TRUE(db_.Open());
  EXPECT_NE(TriggerVersion(), "") << "the next start installs it";
}

TEST_F(WorkNotifyTest, AStartReplacesAnOutdatedNotification) {
  ASSERT_TRUE(db_.available());
  std::string before = TriggerVersion();
  ASSERT_TRUE(admin_
                  ->Exec("CREATE OR REPLACE FUNCTION cc_ci_work_notify() RETURNS trigger "
                         "LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$")
                  .ok());
  auto store = db_.Open();
  ASSERT_TRUE(store);
  EXPECT_NE(TriggerVersion(), before) << "replaced with the function this build sends";
  auto signal = OpenWorkSignal("postgres", db_.Options().url);
  EXPECT_FALSE(signal->WaitForWork(std::chrono::milliseconds(20))) << "nothing yet";
  testing::QueueRun(store.get(), testing::PrRun("coop-cloud/bonfire", 1, "aaa"));
  EXPECT_TRUE(signal->WaitForWork(seconds(10))) << "the replaced function notifies again";
}

}  // namespace
}  // namespace ccci
