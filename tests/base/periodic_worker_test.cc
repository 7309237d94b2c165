#include "base/periodic_worker.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>

namespace ccci {
namespace {

using namespace std::chrono_literals;

// Counts passes and the nice value each one ran at.
struct Passes {
  std::mutex mu;
  std::condition_variable cv;
  int count = 0;
  int nice = 0;
  std::string thread;  // the name of the thread that ran the last pass

  void Run() {
    std::lock_guard<std::mutex> lock(mu);
    ++count;
    nice = getpriority(PRIO_PROCESS, 0);  // the calling thread's
    char name[16] = {};
    pthread_getname_np(pthread_self(), name, sizeof name);
    thread = name;
    cv.notify_all();
  }
  bool WaitFor(int n) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, 30s, [&] { return count >= n; });
  }
};

// The policy is process-wide: every test leaves it as it found it.
class PeriodicWorkerTest : public ::testing::Test {
 protected:
  void TearDown() override {
    PeriodicWorker::SetBackgroundNice(0);
    PeriodicWorker::SetBackgroundSettle(0ms);
  }
};

TEST_F(PeriodicWorkerTest, AKickRunsAPassAtOnceByDefault) {
  Passes p;
  PeriodicWorker w(1h, [&] { p.Run(); });
  w.Start();
  w.Kick();
  ASSERT_TRUE(p.WaitFor(1));
  w.Kick();
  ASSERT_TRUE(p.WaitFor(2));
  EXPECT_EQ(p.nice, getpriority(PRIO_PROCESS, 0));
}

// Its thread bears its name (cut to Linux's 15 bytes), as top -H and perf show it.
TEST_F(PeriodicWorkerTest, ItsPassesRunOnAThreadOfItsName) {
  Passes p;
  PeriodicWorker w(1h, [&] { p.Run(); }, "reconcile-check-doubts");
  w.Start();
  w.Kick();
  ASSERT_TRUE(p.WaitFor(1));
  EXPECT_EQ(p.thread, "reconcile-check");
}

TEST_F(PeriodicWorkerTest, KicksWithinTheSettleTimeCauseOnePass) {
  // Long enough that the three kicks below, made back to back, always fall inside it.
  PeriodicWorker::SetBackgroundSettle(2s);
  Passes p;
  PeriodicWorker w(1h, [&] { p.Run(); });
  w.Start();
  auto kicked = std::chrono::steady_clock::now();
  w.Kick();
  w.Kick();
  w.Kick();
  ASSERT_TRUE(p.WaitFor(1));
  EXPECT_GE(std::chrono::steady_clock::now() - kicked, 2s);  // not at the first kick
  w.Stop();  // waits for a pass in progress; a second one would have started by now
  std::lock_guard<std::mutex> lock(p.mu);
  EXPECT_EQ(p.count, 1);
}

TEST_F(PeriodicWorkerTest, StopDoesNotWaitOutTheSettleTime) {
  PeriodicWorker::SetBackgroundSettle(1h);
  Passes p;
  PeriodicWorker w(1h, [&] { p.Run(); });
  w.Start();
  w.Kick();
  auto start = std::chrono::steady_clock::now();
  w.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
  std::lock_guard<std::mutex> lock(p.mu);
  EXPECT_EQ(p.count, 0);
}

TEST_F(PeriodicWorkerTest, BackgroundWorkersRunAtTheRaisedNiceValue) {
  int before = getpriority(PRIO_PROCESS, 0);
  PeriodicWorker::SetBackgroundNice(5);
  Passes p;
  PeriodicWorker w(1h, [&] { p.Run(); });
  w.Start();
  w.Kick();
  ASSERT_TRUE(p.WaitFor(1));
  EXPECT_EQ(p.nice, std::min(before + 5, 19));
  EXPECT_EQ(getpriority(PRIO_PROCESS, 0), before);  // only the worker's thread
}

}  // namespace
}  // namespace ccci
