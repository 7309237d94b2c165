// A push supersedes the PR's queued run by the state the run has when its row is written, not
// when it was read. On PostgreSQL a worker may claim the run between the two: the intake's
// UPDATE then waits for the claim to commit, and must find a running run to stop (cancel
// requested) rather than mark a run a worker holds as superseded and finished.

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "bot/store/pg_db.h"
#include "bot/store/sql_store.h"
#include "tests/fakes/store_drivers.h"
#include "tests/fakes/test_store.h"

namespace ccci {
namespace {

// A push of `sha` to o/r#1.
RunRequest Push(const std::string& sha) {
  RunRequest r;
  r.repo = "o/r";
  r.pr = 1;
  r.head_sha = sha;
  r.trigger = "synchronized";
  return r;
}

// Sessions waiting for a row lock in this database, other than this session.
int64_t LockWaiters(PgDb& db) {
  auto q = db.Prepare(
      "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
      "wait_event_type = 'Lock' AND pid <> pg_backend_pid()");
  if (!q.ok()) return -1;
  auto row = (*q)->Step();
  return row.ok() && *row ? (*q)->Int(0) : -1;
}

TEST(SupersedeRaceTest, ARunClaimedWhileAPushSupersedesItIsStoppedNotMarkedSuperseded) {
  testing::DriverStore db{"postgres"};
  db.Prepare();
  ASSERT_TRUE(db.available());
  auto store = db.Open();
  ASSERT_TRUE(store);
  int64_t run = testing::QueueRun(store.get(), Push("a"));
  ASSERT_NE(run, 0);

  // A worker's claim, not yet committed: the intake still reads the run as queued.
  auto worker = PgDb::Open(db.Options().url);
  ASSERT_TRUE(worker.ok()) << worker.status().ToString();
  ASSERT_TRUE((*worker)
                  ->Exec("BEGIN; UPDATE runs SET state = 'running', worker = 'w1', "
                         "attempts = attempts + 1 WHERE id = " +
                         std::to_string(run))
                  .ok());
  auto push =
      std::async(std::launch::async, [&] { return testing::QueueRun(store.get(), Push("b")); });
  auto watcher = PgDb::Open(db.Options().url);
  ASSERT_TRUE(watcher.ok()) << watcher.status().ToString();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (LockWaiters(**watcher) < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polls another process
  }
  EXPECT_EQ(LockWaiters(**watcher), 1) << "the push's UPDATE should wait for the claim";
  ASSERT_TRUE((*worker)->Exec("COMMIT").ok());
  int64_t second = push.get();
  ASSERT_NE(second, 0);
  EXPECT_NE(second, run);

  auto got = store->GetRun(run);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->state, "running");
  EXPECT_TRUE(got->cancel_requested);
  EXPECT_EQ(got->superseded_by, second);
}

}  // namespace
}  // namespace ccci
