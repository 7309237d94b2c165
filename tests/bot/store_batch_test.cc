// Deliveries that share one group commit see each other as they would one by one (PostgreSQL
// records them through a DeliveryBatch, SQLite job by job): a second body is a duplicate, a
// second push supersedes or coalesces into the first's run, a close cancels it, an older
// payload is stale.
#include <gtest/gtest.h>

#include <functional>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "bot/store/sql_rows.h"
#include "bot/store/sql_store.h"
#include "tests/fakes/store_drivers.h"

namespace ccci {
namespace {

class StoreBatchTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override { db_.Prepare(); }
  testing::DriverStore db_{GetParam()};
};

struct Step {
  Delivery delivery;
  Work work;
  bool fail = false;  // a write of another kind that fails after changing a run
  std::function<Status(SqlDb&)> write = nullptr;  // else a write of another kind, when set
};

Delivery D(const std::string& id, const std::string& body = "") {
  Delivery d;
  d.id = id;
  d.event = "pull_request";
  d.body_digest = body;
  return d;
}

Work Push(int64_t pr, const std::string& sha, std::optional<int64_t> updated_at = {}) {
  Work w;
  w.kind = Work::Kind::kQueueRun;
  w.run.repo = "o/r";
  w.run.pr = pr;
  w.run.head_sha = sha;
  w.run.trigger = "synchronized";
  if (updated_at) w.freshness = PrFreshness{*updated_at, "open", false, false};
  return w;
}

Work Close(int64_t pr, std::optional<int64_t> updated_at = {}) {
  Work w;
  w.kind = Work::Kind::kCancel;
  w.cancel_repo = "o/r";
  w.cancel_pr = pr;
  w.cancel_reason = "closed";
  if (updated_at) w.freshness = PrFreshness{*updated_at, "closed", false, false};
  return w;
}

// A push as new as the newest recorded that says otherwise: kept for a check with Gitea.
Work Doubtful(int64_t pr, const std::string& sha, int64_t updated_at) {
  Work w = Push(pr, sha, updated_at);
  w.freshness->ask_forge = true;
  return w;
}

// Records `steps` in one batch, in order: a first write holds the lead until every step waits
// behind it, each queued only once the one before it is.
std::vector<Result<RecordOutcome>> InOneBatch(SqlStore* s, const std::vector<Step>& steps) {
  std::vector<Result<RecordOutcome>> outs(steps.size(), Internal("not run"));
  std::vector<std::thread> threads;
  Status lead = s->Write([&](SqlDb&) -> Status {
    if (!threads.empty()) return Status::Ok();  // run again: all started
    for (size_t i = 0; i < steps.size(); ++i) {
      threads.emplace_back([&, i] {
        if (steps[i].write) {
          Status written = s->Write(steps[i].write);
          outs[i] = written.ok() ? Result<RecordOutcome>(RecordOutcome()) : written;
          return;
        }
        if (!steps[i].fail) {
          outs[i] = s->RecordDelivery(steps[i].delivery, steps[i].work);
          return;
        }
        outs[i] = s->Write([](SqlDb& db) -> Status {
          auto upd = db.Prepare("UPDATE runs SET title = 'changed'");
          if (!upd.ok()) return upd.status();
          CCCI_RETURN_IF_ERROR((*upd)->Run());
          return Internal("boom");
        });
      });
      while (s->QueuedWrites() < i + 1) std::this_thread::yield();
    }
    return Status::Ok();
  });
  EXPECT_TRUE(lead.ok()) << lead.message();
  for (auto& t : threads) t.join();
  return outs;
}

// Reads the one row `sql` selects (its parameters bound by `bind`) into `cols`; fails the test
// when there is none.
template <typename... Cols>
void ReadRow(SqlStore* s, const char* sql, const std::function<void(SqlStmt&)>& bind,
             Cols*... cols) {
  Status read = s->Write([&](SqlDb& db) -> Status {
    auto q = db.Prepare(sql);
    if (!q.ok()) return q.status();
    bind(**q);
    auto found = (*q)->Step();
    if (!found.ok()) return found.status();
    if (!*found) return NotFound(sql);
    ReadColumns(**q, cols...);
    return Status::Ok();
  });
  EXPECT_TRUE(read.ok()) << read.message();
}

// The outcome and detail recorded for delivery `id`.
std::pair<std::string, std::string> Recorded(SqlStore* s, const std::string& id) {
  std::pair<std::string, std::string> row;
  ReadRow(
      s, "SELECT outcome, detail FROM deliveries WHERE id = ?1", [&](SqlStmt& q) { q.Bind(1, id); },
      &row.first, &row.second);
  return row;
}

// The PR's pr_heads row: updated_at, head_sha, state.
std::tuple<int64_t, std::string, std::string> HeadRow(SqlStore* s, const std::string& repo,
                                                      int64_t pr) {
  std::tuple<int64_t, std::string, std::string> row;
  ReadRow(
      s, "SELECT updated_at, head_sha, state FROM pr_heads WHERE repo = ?1 AND pr = ?2",
      [&](SqlStmt& q) { q.Bind(1, repo).Bind(2, pr); }, &std::get<0>(row), &std::get<1>(row),
      &std::get<2>(row));
  return row;
}

TEST_P(StoreBatchTest, ARepeatedIdOrBodyInOneBatchIsADuplicateOfTheFirst) {
  auto s = db_.Open();
  ASSERT_TRUE(s->RecordDelivery(D("old", "h0"), Push(1, "s0")).ok());
  auto out = InOneBatch(s.get(), {{D("a", "h1"), Push(2, "s1")},
                                  {D("b", "h1"), Push(3, "s2")},
                                  {D("a", "h2"), Push(4, "s3")},
                                  {D("c", "h0"), Push(5, "s4")},
                                  {D("d", "h3"), Push(6, "s5")}});
  for (auto& o : out) ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_FALSE(out[0]->duplicate);
  EXPECT_TRUE(out[1]->duplicate);
  EXPECT_EQ(out[1]->duplicate_of, "a");
  EXPECT_TRUE(out[2]->duplicate);
  EXPECT_EQ(out[2]->duplicate_of, "a");
  EXPECT_TRUE(out[3]->duplicate);
  EXPECT_EQ(out[3]->duplicate_of, "old");
  EXPECT_FALSE(out[4]->duplicate);
  EXPECT_FALSE(s->HasDelivery("b").value());
  EXPECT_TRUE(s->HasDelivery("d").value());
  EXPECT_EQ(s->ListRuns({}).value().runs.size(), 3u);  // old, a, d
}

TEST_P(StoreBatchTest, PushesToOnePrInOneBatchSupersedeAndCoalesceInOrder) {
  auto s = db_.Open();
  auto before = s->RecordDelivery(D("p0"), Push(1, "s0"));
  ASSERT_TRUE(before.ok());
  auto out = InOneBatch(s.get(), {{D("p1"), Push(1, "s1")},
                                  {D("p2"), Push(1, "s2")},
                                  {D("p3"), Push(1, "s2")},
                                  {D("q1"), Push(2, "t1")}});
  for (auto& o : out) ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_EQ(out[0]->superseded, std::vector<int64_t>{before->run_id});
  EXPECT_EQ(out[1]->superseded, std::vector<int64_t>{out[0]->run_id});
  EXPECT_TRUE(out[2]->coalesced);
  EXPECT_EQ(out[2]->run_id, out[1]->run_id);
  EXPECT_TRUE(out[3]->superseded.empty());
  // The ids are the rows', in the order the runs were made.
  EXPECT_LT(before->run_id, out[0]->run_id);
  EXPECT_LT(out[0]->run_id, out[1]->run_id);
  EXPECT_LT(out[1]->run_id, out[3]->run_id);
  ccci::Run first = s->GetRun(out[0]->run_id).value();
  EXPECT_EQ(first.head_sha, "s1");
  EXPECT_EQ(first.state, "superseded");
  EXPECT_EQ(first.superseded_by, out[1]->run_id);
  EXPECT_EQ(first.reason, "superseded by run " + std::to_string(out[1]->run_id));
  ccci::Run second = s->GetRun(out[1]->run_id).value();
  EXPECT_EQ(second.head_sha, "s2");
  EXPECT_EQ(second.state, "queued");
  EXPECT_EQ(second.delivery_id, "p2");
  EXPECT_EQ(s->GetRun(out[3]->run_id).value().head_sha, "t1");
  EXPECT_EQ(Recorded(s.get(), "p1"),
            std::make_pair(std::string("queued"), "run " + std::to_string(out[0]->run_id)));
  EXPECT_EQ(Recorded(s.get(), "p3"),
            std::make_pair(std::string("coalesced"), "run " + std::to_string(out[1]->run_id)));
  // The next batch reads what this one committed.
  auto after = s->RecordDelivery(D("p4"), Push(1, "s2"));
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->coalesced);
  EXPECT_EQ(after->run_id, out[1]->run_id);
}

TEST_P(StoreBatchTest, ACloseInOneBatchCancelsTheRunsQueuedBeforeIt) {
  auto s = db_.Open();
  auto before = s->RecordDelivery(D("p0"), Push(1, "s0"));
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE(s->ClaimRun(before->run_id).value());  // running: asked to stop, not cancelled
  auto out = InOneBatch(s.get(),
                        {{D("p1"), Push(1, "s1")}, {D("c1"), Close(1)}, {D("p2"), Push(1, "s2")}});
  for (auto& o : out) ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_EQ(out[0]->cancel_requested, std::vector<int64_t>{before->run_id});
  EXPECT_EQ(out[1]->cancelled, std::vector<int64_t>{out[0]->run_id});
  EXPECT_EQ(out[1]->cancel_requested, std::vector<int64_t>{before->run_id});
  EXPECT_TRUE(out[2]->superseded.empty());
  EXPECT_EQ(out[2]->cancel_requested, std::vector<int64_t>{before->run_id});
  EXPECT_EQ(s->GetRun(out[0]->run_id).value().state, "cancelled");
  EXPECT_EQ(s->GetRun(out[2]->run_id).value().state, "queued");
  ccci::Run running = s->GetRun(before->run_id).value();
  EXPECT_EQ(running.state, "running");
  EXPECT_TRUE(running.cancel_requested);
  EXPECT_EQ(Recorded(s.get(), "c1").first, "cancel");
}

TEST_P(StoreBatchTest, AnOlderPayloadInOneBatchIsStale) {
  auto s = db_.Open();
  auto out = InOneBatch(s.get(), {{D("n1"), Push(1, "s1", 20)},
                                  {D("n2"), Push(1, "s0", 10)},
                                  {D("n3"), Push(1, "s1", 20)},
                                  {D("n4"), Push(1, "s2", 30)}});
  for (auto& o : out) ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_FALSE(out[0]->stale);
  EXPECT_TRUE(out[1]->stale);
  EXPECT_EQ(out[1]->newest_updated_at_ms, 20);
  EXPECT_FALSE(out[2]->stale);  // as new and saying the same
  EXPECT_TRUE(out[2]->coalesced);
  EXPECT_EQ(out[2]->run_id, out[0]->run_id);
  EXPECT_EQ(out[3]->superseded, std::vector<int64_t>{out[0]->run_id});
  EXPECT_EQ(Recorded(s.get(), "n2").first, "stale");
  auto late = s->RecordDelivery(D("n5"), Push(1, "s1", 25));
  ASSERT_TRUE(late.ok());
  EXPECT_TRUE(late->stale);
  EXPECT_EQ(late->newest_updated_at_ms, 30);
}

TEST_P(StoreBatchTest, AFailedWriteAmongDeliveriesLosesOnlyItsOwnChanges) {
  auto s = db_.Open();
  auto out = InOneBatch(s.get(), {{D("p1", "h1"), Push(1, "s1")},
                                  {D("x"), Work(), true},
                                  {D("p2", "h1"), Push(2, "s2")},
                                  {D("p3"), Push(1, "s3")}});
  ASSERT_TRUE(out[0].ok());
  EXPECT_EQ(out[1].status().message(), "boom");
  ASSERT_TRUE(out[2].ok());
  EXPECT_TRUE(out[2]->duplicate);
  ASSERT_TRUE(out[3].ok());
  EXPECT_EQ(out[3]->superseded, std::vector<int64_t>{out[0]->run_id});
  auto runs = s->ListRuns({}).value().runs;
  ASSERT_EQ(runs.size(), 2u);
  for (const ccci::Run& r : runs) EXPECT_NE(r.title, "changed");
}

// PostgreSQL writes a batch's rows as one statement per kind (DeliveryBatch::Finish): text
// travels in array literals, which must give back every value as it was.
TEST_P(StoreBatchTest, HostileTextIsStoredAsItCame) {
  auto s = db_.Open();
  const std::vector<std::string> hostile = {"",
                                            "NULL",
                                            "null",
                                            "\"",
                                            "\\",
                                            "a,b",
                                            "{x}",
                                            "{\"a\",\"b\"}",
                                            "  spaced  ",
                                            "it's",
                                            "back\\slash\\\"quote",
                                            "\\N",
                                            "ünï\tcode\n",
                                            "$1",
                                            "?1",
                                            "--",
                                            "}{,\\\"'"};
  std::vector<Step> steps;
  for (size_t i = 0; i < hostile.size(); ++i) {
    const std::string& h = hostile[i];
    Delivery d = D("d" + std::to_string(i) + h, h.empty() ? "" : "b" + h);
    d.event_type = h;
    d.action = h;
    d.repo = h;
    d.head_sha = h;
    d.sender = h;
    Work w = Push(static_cast<int64_t>(i) + 1, "sha" + h, 10);
    w.run.repo = h;  // PR i+1 of a repo named so: every run new, none superseded
    w.run.head_ref = h;
    w.run.base_ref = h;
    w.run.clone_url = h;
    w.run.title = h;
    w.run.author = h;
    steps.push_back({d, w});
  }
  auto out = InOneBatch(s.get(), steps);
  for (size_t i = 0; i < hostile.size(); ++i) {
    const std::string& h = hostile[i];
    SCOPED_TRACE("value " + std::to_string(i) + ": [" + h + "]");
    ASSERT_TRUE(out[i].ok()) << out[i].status().message();
    EXPECT_FALSE(out[i]->duplicate);
    EXPECT_TRUE(out[i]->superseded.empty());
    ccci::Run r = s->GetRun(out[i]->run_id).value();
    EXPECT_EQ(r.repo, h);
    EXPECT_EQ(r.head_sha, "sha" + h);
    EXPECT_EQ(r.head_ref, h);
    EXPECT_EQ(r.base_ref, h);
    EXPECT_EQ(r.clone_url, h);
    EXPECT_EQ(r.title, h);
    EXPECT_EQ(r.author, h);
    EXPECT_EQ(r.delivery_id, "d" + std::to_string(i) + h);
    EXPECT_EQ(r.state, "queued");
    EXPECT_EQ(std::get<1>(HeadRow(s.get(), h, static_cast<int64_t>(i) + 1)), "sha" + h);
    std::string body;
    ReadRow(
        s.get(),
        "SELECT event_type || '|' || action || '|' || repo || '|' || head_sha || '|' || "
        "sender || '|' || body_digest FROM deliveries WHERE id = ?1",
        [&](SqlStmt& q) { q.Bind(1, "d" + std::to_string(i) + h); }, &body);
    EXPECT_EQ(body, h + "|" + h + "|" + h + "|" + h + "|" + h + "|" + (h.empty() ? "" : "b" + h));
    // Read back as the next batch reads: the id and the body are known, the run is live.
    auto again =
        s->RecordDelivery(D("again" + std::to_string(i), h.empty() ? "" : "b" + h), Push(1, "x"));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->duplicate, !h.empty());
  }
}

// Two pushes and a check of one PR in one batch leave its pr_heads and pr_checks rows as the
// statements one by one would: the newest updated_at, the last head, the last check.
TEST_P(StoreBatchTest, APrsHeadAndCheckAreTheLastOfTheBatch) {
  auto s = db_.Open();
  ASSERT_TRUE(s->RecordDelivery(D("p0"), Push(1, "s0", 10)).ok());
  auto out = InOneBatch(s.get(), {{D("p1"), Push(1, "s1", 30)},
                                  {D("p2"), Push(1, "s2", 20)},      // stale: not the head
                                  {D("c1"), Close(1, 40)},           // closed, head kept
                                  {D("x1"), Doubtful(1, "s3", 40)},  // open, same second
                                  {D("x2"), Doubtful(1, "s4", 40)},  // replaces x1's check
                                  {D("q1"), Push(2, "t1", 5)}});
  for (auto& o : out) ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_TRUE(out[1]->stale);
  EXPECT_TRUE(out[3]->awaiting_check);
  EXPECT_TRUE(out[4]->awaiting_check);
  EXPECT_EQ(HeadRow(s.get(), "o/r", 1),
            std::make_tuple(int64_t{40}, std::string("s1"), std::string("closed")));
  EXPECT_EQ(HeadRow(s.get(), "o/r", 2),
            std::make_tuple(int64_t{5}, std::string("t1"), std::string("open")));
  auto checks = s->PendingPrChecks(10).value();
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].delivery_id, "x2");
  EXPECT_EQ(checks[0].work.run.head_sha, "s4");
  EXPECT_EQ(checks[0].work.freshness->updated_at_ms, 40);
  EXPECT_EQ(Recorded(s.get(), "x1").first, "check");
}

// A close then a reopening push in one batch: the close cancels what was queued before it, not
// the run queued after it; a running run asked to stop by two pushes names the last.
TEST_P(StoreBatchTest, WritesAroundACloseKeepTheirOrder) {
  auto s = db_.Open();
  auto running = s->RecordDelivery(D("p0"), Push(1, "s0"));
  ASSERT_TRUE(running.ok());
  ASSERT_TRUE(s->ClaimRun(running->run_id).value());
  auto out = InOneBatch(s.get(), {{D("p1"), Push(1, "s1")},
                                  {D("p2"), Push(1, "s2")},
                                  {D("c1"), Close(1)},
                                  {D("p3"), Push(1, "s3")},
                                  {D("p4"), Push(1, "s4")}});
  for (auto& o : out) ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_EQ(out[1]->superseded, std::vector<int64_t>{out[0]->run_id});
  EXPECT_EQ(out[2]->cancelled, std::vector<int64_t>{out[1]->run_id});
  EXPECT_EQ(out[4]->superseded, std::vector<int64_t>{out[3]->run_id});
  EXPECT_EQ(s->GetRun(out[0]->run_id).value().state, "superseded");
  EXPECT_EQ(s->GetRun(out[0]->run_id).value().superseded_by, out[1]->run_id);
  EXPECT_EQ(s->GetRun(out[1]->run_id).value().state, "cancelled");
  EXPECT_EQ(s->GetRun(out[3]->run_id).value().state, "superseded");
  EXPECT_EQ(s->GetRun(out[4]->run_id).value().state, "queued");
  ccci::Run r = s->GetRun(running->run_id).value();
  EXPECT_EQ(r.state, "running");
  EXPECT_TRUE(r.cancel_requested);
  EXPECT_EQ(r.superseded_by, out[4]->run_id);
  EXPECT_EQ(r.reason, "closed");
}

// A second push of the same body in a batch is a duplicate; the first's run is the one queued.
TEST_P(StoreBatchTest, TheSameBodyTwiceInOneBatchQueuesOneRun) {
  auto s = db_.Open();
  auto out = InOneBatch(
      s.get(),
      {{D("a", "h"), Push(1, "s1")}, {D("b", "h"), Push(1, "s2")}, {D("c"), Push(1, "s3")}});
  for (auto& o : out) ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_TRUE(out[1]->duplicate);
  EXPECT_EQ(out[1]->duplicate_of, "a");
  EXPECT_EQ(out[2]->superseded, std::vector<int64_t>{out[0]->run_id});
  auto runs = s->ListRuns({}).value().runs;
  EXPECT_EQ(runs.size(), 2u);
  EXPECT_FALSE(s->HasDelivery("b").value());
  EXPECT_EQ(Recorded(s.get(), "a"),
            std::make_pair(std::string("queued"), "run " + std::to_string(out[0]->run_id)));
}

// The writes after a batch's deliveries, in its transaction, are planned as the server's
// settings say (PostgreSQL's batch plans its own writes otherwise, with SET LOCAL).
TEST_P(StoreBatchTest, LaterWritesOfTheTransactionKeepTheServersPlannerSettings) {
  auto s = db_.Open();
  ASSERT_TRUE(s->RecordDelivery(D("p0"), Push(1, "s0")).ok());
  std::string settings;
  Step read{D("unused"), Work()};
  read.write = [&](SqlDb& db) -> Status {
    if (std::string(GetParam()) != "postgres") return Status::Ok();
    auto q = db.Prepare(
        "SELECT current_setting('enable_seqscan') || ' ' || current_setting('plan_cache_mode')");
    if (!q.ok()) return q.status();
    auto row = (*q)->Step();
    if (!row.ok()) return row.status();
    settings = *row ? (*q)->Text(0) : "";
    return Status::Ok();
  };
  auto out = InOneBatch(s.get(), {{D("p1"), Push(1, "s1")}, {D("c1"), Close(2)}, read});
  for (auto& o : out) ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_EQ(out[0]->superseded.size(), 1u);
  if (std::string(GetParam()) == "postgres") {
    EXPECT_EQ(settings, "on auto");
  }
}

INSTANTIATE_TEST_SUITE_P(Drivers, StoreBatchTest, ::testing::ValuesIn(testing::kStoreDrivers),
                         testing::DriverName);

}  // namespace
}  // namespace ccci
