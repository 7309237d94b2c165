#pragma once
// A real SQLite store for tests, and runs queued in it the way the intake queues a
// pull_request webhook's run.

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/clock.h"
#include "bot/store/sql_store.h"
#include "tests/fakes/wait_until.h"

namespace ccci::testing {

// Opens (and migrates) the store at `path`; fails the test and returns null when it cannot.
inline std::unique_ptr<SqlStore> OpenTestStore(const std::string& path,
                                               Clock* clock = RealClock()) {
  SqlStore::Options o;
  o.path = path;
  o.clock = clock;
  auto s = SqlStore::Open(o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(*s) : nullptr;
}

// A PR run request as an `opened` pull_request webhook makes it.
inline RunRequest PrRun(const std::string& repo, int64_t pr, const std::string& sha) {
  RunRequest r;
  r.repo = repo;
  r.pr = pr;
  r.head_sha = sha;
  r.trigger = "opened";
  return r;
}

// Records `run` as a pull_request delivery (id `delivery`, default one per repo, PR and
// head); returns the run's id, or 0 with a test failure when nothing was recorded.
inline int64_t QueueRun(Store* store, const RunRequest& run, std::string delivery = "") {
  Delivery d;
  d.id = delivery.empty() ? "d-" + run.repo + "#" + std::to_string(run.pr) + "@" + run.head_sha
                          : std::move(delivery);
  d.event = "pull_request";
  Work w;
  w.kind = Work::Kind::kQueueRun;
  w.run = run;
  auto out = store->RecordDelivery(d, w);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? out->run_id : 0;
}

// Holds `store`'s group-commit lead with a write that does not end until Release (or the
// destructor), so the writes that come meanwhile queue behind it: for tests of what happens to
// writes waiting for a commit.
class HeldLead {
 public:
  explicit HeldLead(SqlStore* store) {
    writer_ = std::thread([this, store] {
      Status s = store->Write([this](SqlDb&) -> Status {
        leading_ = true;
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return released_; });
        return Status::Ok();
      });
      EXPECT_TRUE(s.ok()) << s.ToString();
    });
    WaitUntil([&] { return leading_.load(); });
  }
  ~HeldLead() { Release(); }
  HeldLead(const HeldLead&) = delete;
  HeldLead& operator=(const HeldLead&) = delete;

  // Lets the holding write commit, and returns once it has.
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      released_ = true;
    }
    cv_.notify_all();
    if (writer_.joinable()) writer_.join();
  }

 private:
  std::thread writer_;
  std::atomic<bool> leading_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
};

}  // namespace ccci::testing
