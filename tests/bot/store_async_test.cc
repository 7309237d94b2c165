// RecordDeliveryAsync: a delivery recorded without a thread waiting for its commit. Its
// outcome reaches `done` exactly once, on the store's committer thread, never on a synchronous
// writer's thread (which may hold a lock `done` needs).

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "base/thread_nice.h"
#include "bot/store/sql_store.h"
#include "tests/fakes/store_drivers.h"
#include "tests/fakes/test_store.h"
#include "tests/fakes/wait_until.h"

namespace ccci {
namespace {

class StoreAsyncTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override { db_.Prepare(); }
  testing::DriverStore db_{GetParam()};
};

// What one asynchronous record got, and on which thread.
struct Recorded {
  Delivery delivery;
  Work work;
  std::mutex mu;
  std::condition_variable cv;
  int calls = 0;
  Result<RecordOutcome> outcome = Internal("not called");
  std::thread::id on;
  int nice = 0;  // of the thread `done` ran on

  DeliveryStore::RecordDone Done() {
    return [this](Result<RecordOutcome> r) {
      std::lock_guard<std::mutex> lock(mu);
      calls++;
      outcome = std::move(r);
      on = std::this_thread::get_id();
      nice = ThreadNice();
      cv.notify_all();
    };
  }
  // Whether `done` was called within 30 s (a write no one leads would never be).
  bool Wait() {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(30), [&] { return calls > 0; });
  }
};

std::unique_ptr<Recorded> Record(SqlStore* s, const std::string& id, int64_t pr) {
  auto r = std::make_unique<Recorded>();
  r->delivery.id = id;
  r->delivery.event = "pull_request";
  r->work.kind = Work::Kind::kQueueRun;
  r->work.run = testing::PrRun("o/r", pr, "sha-" + id);
  s->RecordDeliveryAsync(r->delivery, r->work, r->Done());
  return r;
}

TEST_P(StoreAsyncTest, EveryDeliveryIsCommittedAndAnsweredOnce) {
  auto s = db_.Open();
  constexpr int kThreads = 8, kEach = 40;
  std::vector<std::vector<std::unique_ptr<Recorded>>> all(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        all[t].push_back(Record(s.get(), std::to_string(t) + "-" + std::to_string(i), t * 100 + i));
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<int64_t> runs;
  for (auto& list : all) {
    for (auto& r : list) {
      ASSERT_TRUE(r->Wait());
      std::lock_guard<std::mutex> lock(r->mu);
      ASSERT_TRUE(r->outcome.ok()) << r->outcome.status().message();
      EXPECT_GT(r->outcome->run_id, 0);
      runs.insert(r->outcome->run_id);
    }
  }
  EXPECT_EQ(runs.size(), static_cast<size_t>(kThreads * kEach));  // each its own run
  EXPECT_EQ(s->CountQueue().value().queued, kThreads * kEach);
  // A replay is answered as a duplicate, through the same path.
  auto again = Record(s.get(), "0-0", 0);
  ASSERT_TRUE(again->Wait());
  ASSERT_TRUE(again->outcome.ok());
  EXPECT_TRUE(again->outcome->duplicate);
  for (auto& list : all) {
    for (auto& r : list) EXPECT_EQ(r->calls, 1);
  }
}

// A synchronous writer that leads a batch holding asynchronous deliveries commits them, but
// their `done` runs elsewhere: the writer may hold a lock that `done` (the intake's wake-ups)
// takes.
TEST_P(StoreAsyncTest, ASynchronousLeaderNeverRunsTheirDone) {
  auto s = db_.Open();
  testing::HeldLead first(s.get());  // until the second writer and both deliveries wait
  std::thread::id second_writer;
  std::thread second([&] {
    second_writer = std::this_thread::get_id();
    ASSERT_TRUE(s->Write([](SqlDb&) { return Status::Ok(); }).ok());
  });
  testing::WaitUntil([&] { return s->QueuedWrites() == 1; });
  auto a = Record(s.get(), "a", 1);
  auto b = Record(s.get(), "b", 2);
  EXPECT_EQ(s->QueuedWrites(), 3u);  // nothing led by the asynchronous ones meanwhile
  first.Release();
  second.join();  // led the batch [second, a, b]
  ASSERT_TRUE(a->Wait());
  ASSERT_TRUE(b->Wait());
  for (Recorded* r : {a.get(), b.get()}) {
    std::lock_guard<std::mutex> lock(r->mu);
    ASSERT_TRUE(r->outcome.ok()) << r->outcome.status().message();
    EXPECT_GT(r->outcome->run_id, 0);
    EXPECT_NE(r->on, second_writer);
    EXPECT_NE(r->on, std::this_thread::get_id());
    EXPECT_EQ(r->calls, 1);
  }
  EXPECT_TRUE(s->HasDelivery("a").value());
  EXPECT_TRUE(s->HasDelivery("b").value());
}

// A synchronous writer whose own write is done leaves; what asynchronous writes queued behind
// it are still committed (by the committer thread), though no other write ever comes.
TEST_P(StoreAsyncTest, WritesLeftBehindASynchronousLeaderAreCommitted) {
  auto s = db_.Open();
  testing::HeldLead writer(s.get());
  auto a = Record(s.get(), "a", 1);
  ASSERT_EQ(s->QueuedWrites(), 1u);
  writer.Release();
  ASSERT_TRUE(a->Wait());
  std::lock_guard<std::mutex> lock(a->mu);
  ASSERT_TRUE(a->outcome.ok()) << a->outcome.status().message();
  EXPECT_TRUE(s->HasDelivery("a").value());
}

// A write that throws fails its batch, and its batch only: the lead is given up, so the
// deliveries after it are committed and answered as ever.
TEST_P(StoreAsyncTest, AWriteThatThrowsFailsItsBatchAndTheStoreGoesOn) {
  auto s = db_.Open();
  Status thrown = s->Write([](SqlDb&) -> Status { throw std::runtime_error("boom"); });
  EXPECT_FALSE(thrown.ok());
  EXPECT_NE(thrown.message().find("a write threw: boom"), std::string::npos) << thrown.message();
  auto a = Record(s.get(), "after", 1);
  ASSERT_TRUE(a->Wait());
  std::lock_guard<std::mutex> lock(a->mu);
  ASSERT_TRUE(a->outcome.ok()) << a->outcome.status().message();
  EXPECT_GT(a->outcome->run_id, 0);
  EXPECT_TRUE(s->Write([](SqlDb&) { return Status::Ok(); }).ok());
}

// The committer runs at the nice value Options::committer_nice adds to the process's: the
// deliveries' `done` runs on it, so it reads its own. Lowering a priority is always allowed;
// raising it only with CAP_SYS_NICE (or RLIMIT_NICE): without, the store still opens and runs.
TEST_P(StoreAsyncTest, TheCommitterRunsAtItsConfiguredNiceValue) {
  int base = ThreadNice();
  for (int delta : {3, -2}) {
    SCOPED_TRACE(delta);
    // Whether this process may move a thread's priority that far, asked of a scratch thread
    // (an RLIMIT_NICE may allow a smaller raise than this one).
    bool allowed = false;
    std::thread([&] { allowed = AddThreadNice(delta).ok(); }).join();
    SqlStore::Options o = db_.Options();
    o.committer_nice = delta;
    auto s = SqlStore::Open(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    auto r = Record(s->get(), "nice" + std::to_string(delta), 1);
    ASSERT_TRUE(r->Wait());
    std::lock_guard<std::mutex> lock(r->mu);
    ASSERT_TRUE(r->outcome.ok()) << r->outcome.status().message();
    EXPECT_EQ(r->nice, allowed ? base + delta : base);
  }
}

INSTANTIATE_TEST_SUITE_P(Drivers, StoreAsyncTest, ::testing::ValuesIn(testing::kStoreDrivers),
                         testing::DriverName);

}  // namespace
}  // namespace ccci
