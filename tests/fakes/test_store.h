#pragma once
// A real SQLite store for tests, and runs queued in it the way the intake queues a
// pull_request webhook's run.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "base/clock.h"
#include "bot/store/sql_store.h"

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

}  // namespace ccci::testing
