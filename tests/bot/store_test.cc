#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <thread>
#include <vector>

#include "bot/store/migrations.h"
#include "bot/store/pg_db.h"
#include "bot/store/sql_store.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/store_drivers.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/test_store.h"
#include "tests/fakes/wait_until.h"

namespace ccci {
namespace {

std::unique_ptr<SqlStore> OpenAt(const std::string& path, Clock* clock = RealClock()) {
  return testing::OpenTestStore(path, clock);
}

// What every driver must do alike.
class StoreTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override { db_.Prepare(); }
  testing::DriverStore db_{GetParam()};
};

Work QueueWork(const std::string& repo, int64_t pr, const std::string& sha) {
  Work w;
  w.kind = Work::Kind::kQueueRun;
  w.run.repo = repo;
  w.run.pr = pr;
  w.run.head_sha = sha;
  w.run.trigger = "opened";
  return w;
}

Delivery D(const std::string& id) {
  Delivery d;
  d.id = id;
  d.event = "pull_request";
  return d;
}

TEST_P(StoreTest, MigratesOnceAndReopens) {
  {
    auto s = db_.Open();
    ASSERT_TRUE(s);
    EXPECT_EQ(s->SchemaVersion(), Migrations().back().version);
    ASSERT_TRUE(s->RecordDelivery(D("a"), QueueWork("o/r", 1, "s1")).ok());
  }
  auto s = db_.Open();
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->HasDelivery("a").value());
  EXPECT_EQ(s->ListRuns({}).value().runs.size(), 1u);
}

TEST_P(StoreTest, ConcurrentWritersAreAllCommitted) {
  auto s = db_.Open();
  constexpr int kThreads = 16, kEach = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        std::string id = std::to_string(t) + "-" + std::to_string(i);
        auto r = s->RecordDelivery(D(id), QueueWork("o/r", t * 1000 + i, "sha" + id));
        if (!r.ok() || r->run_id == 0) failures++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(s->CountQueue().value().queued, kThreads * kEach);
}

TEST_P(StoreTest, AFailedWriteRollsBackOnlyItself) {
  auto s = db_.Open();
  Status bad = s->Write([](SqlDb& db) -> Status {
    CCCI_RETURN_IF_ERROR(
        db.Exec("INSERT INTO runs (repo, pr, head_sha, trigger, state, "
                "created_at, updated_at) VALUES ('x', 1, 's', 't', 'queued', 0, 0)"));
    return Internal("boom");
  });
  EXPECT_FALSE(bad.ok());
  ASSERT_TRUE(s->RecordDelivery(D("ok"), QueueWork("o/r", 2, "s")).ok());
  auto runs = s->ListRuns({}).value().runs;
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].repo, "o/r");
}

// Jobs share a transaction without savepoints; when one fails, the batch runs again with a
// savepoint per job. The others are committed once, and report what the second pass did.
TEST_P(StoreTest, AFailedWriteInASharedBatchRollsBackOnlyItself) {
  auto s = db_.Open();
  std::thread failing, recording;
  Status bad;
  Result<RecordOutcome> recorded = Internal("not run");
  // The first write holds the lead until both others wait behind it, so they share the next
  // batch.
  ASSERT_TRUE(s->Write([&](SqlDb&) -> Status {
                 if (failing.joinable()) return Status::Ok();  // run again: nothing to start
                 failing = std::thread([&] {
                   bad = s->Write([](SqlDb& db) -> Status {
                     CCCI_RETURN_IF_ERROR(db.Exec(
                         "INSERT INTO runs (repo, pr, head_sha, trigger, state, "
                         "created_at, updated_at) VALUES ('x', 1, 's', 't', 'queued', 0, 0)"));
                     return Internal("boom");
                   });
                 });
                 recording = std::thread(
                     [&] { recorded = s->RecordDelivery(D("ok"), QueueWork("o/r", 2, "s")); });
                 while (s->QueuedWrites() < 2) std::this_thread::yield();
                 return Status::Ok();
               }).ok());
  failing.join();
  recording.join();
  EXPECT_EQ(bad.message(), "boom");
  ASSERT_TRUE(recorded.ok()) << recorded.status().message();
  auto runs = s->ListRuns({}).value().runs;
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].repo, "o/r");
  EXPECT_EQ(recorded->run_id, runs[0].id);
  EXPECT_FALSE(recorded->coalesced);
  EXPECT_TRUE(s->HasDelivery("ok").value());
}

TEST_P(StoreTest, ListRunsPagesNewestFirstWithFilters) {
  auto s = db_.Open();
  for (int i = 1; i <= 7; ++i) {
    ASSERT_TRUE(
        s->RecordDelivery(D("d" + std::to_string(i)), QueueWork(i % 2 ? "a/odd" : "a/even", i, "s"))
            .ok());
  }
  RunQuery q;
  q.limit = 3;
  auto p1 = s->ListRuns(q).value();
  ASSERT_EQ(p1.runs.size(), 3u);
  EXPECT_EQ(p1.runs[0].id, 7);
  EXPECT_EQ(p1.next_before_id, 5);
  q.before_id = p1.next_before_id;
  auto p2 = s->ListRuns(q).value();
  EXPECT_EQ(p2.runs[0].id, 4);
  q.before_id = 2;
  auto last = s->ListRuns(q).value();
  ASSERT_EQ(last.runs.size(), 1u);
  EXPECT_EQ(last.next_before_id, 0);
  RunQuery odd;
  odd.repo = "a/odd";
  EXPECT_EQ(s->ListRuns(odd).value().runs.size(), 4u);
  RunQuery pr3;
  pr3.pr = 3;
  EXPECT_EQ(s->ListRuns(pr3).value().runs.size(), 1u);
  EXPECT_EQ(s->GetRun(99).status().code(), Code::kNotFound);
}

TEST(SqliteStoreTest, InMemoryDriverBehavesTheSame) {
  auto s = OpenAt(":memory:");
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->RecordDelivery(D("a"), QueueWork("o/r", 1, "s1")).ok());
  EXPECT_TRUE(s->RecordDelivery(D("a"), QueueWork("o/r", 1, "s1")).value().duplicate);
  EXPECT_EQ(s->GetRun(1).value().head_sha, "s1");
}

TEST_P(StoreTest, PrunesOldDeliveriesButKeepsRuns) {
  testing::FakeClock clock;
  auto s = db_.Open(&clock);
  Delivery old = D("old");
  old.received_at_ms = clock.NowUnixMillis();
  ASSERT_TRUE(s->RecordDelivery(old, QueueWork("o/r", 1, "s1")).ok());
  clock.Advance(std::chrono::hours(24 * 31));
  Delivery fresh = D("fresh");
  fresh.received_at_ms = clock.NowUnixMillis();
  ASSERT_TRUE(s->RecordDelivery(fresh, QueueWork("o/r", 2, "s2")).ok());
  auto n = s->PruneDeliveries(30LL * 86400 * 1000);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  EXPECT_FALSE(s->HasDelivery("old").value());
  EXPECT_TRUE(s->HasDelivery("fresh").value());
  EXPECT_EQ(s->ListRuns({}).value().runs.size(), 2u);
}

TEST_P(StoreTest, TimestampsComeFromTheClock) {
  testing::FakeClock clock;
  auto s = db_.Open(&clock);
  ASSERT_TRUE(s->RecordDelivery(D("a"), QueueWork("o/r", 1, "s1")).ok());
  EXPECT_EQ(s->GetRun(1).value().created_at_ms, clock.NowUnixMillis());
}

// A restarted or unreachable server costs the calls in flight, as errors (the webhook answers
// 503, never 2xx without a commit); the next call reconnects.
TEST(PgStoreTest, ALostConnectionFailsTheCallAndTheNextOneReconnects) {
  testing::DriverStore db("postgres");
  db.Prepare();
  if (!db.available()) return;
  auto s = db.Open();
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->RecordDelivery(D("before"), QueueWork("o/r", 1, "s1")).ok());
  auto admin = PgDb::Open(testing::ReadLaneFile("url"));
  ASSERT_TRUE(admin.ok());
  ASSERT_TRUE((*admin)
                  ->Exec("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                         "WHERE application_name = '" +
                         db.schema() + "'")
                  .ok());
  auto lost = s->RecordDelivery(D("during"), QueueWork("o/r", 2, "s2"));
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.status().code(), Code::kUnavailable) << lost.status().ToString();
  auto read = s->GetRun(1);
  EXPECT_EQ(read.status().code(), Code::kUnavailable) << read.status().ToString();

  ASSERT_TRUE(s->RecordDelivery(D("during"), QueueWork("o/r", 2, "s2")).ok());
  EXPECT_FALSE(s->HasDelivery("nothing-else").value());
  EXPECT_EQ(s->ListRuns({}).value().runs.size(), 2u);  // nothing half-written, nothing lost
}

// A session left idle inside a transaction (its process stopped) is ended by the server, so
// its locks cannot hold up the other nodes; an operator's own value (here 1 s, in the
// connection string) wins over cc-ci's 20 s. The stopped session's next call fails as a lost
// connection and the one after reconnects.
TEST(PgStoreTest, ASessionIdleInATransactionIsEndedByTheServer) {
  testing::DriverStore lane("postgres");
  lane.Prepare();
  if (!lane.available()) return;
  std::string url = testing::ReadLaneFile("url");
  auto setting = [](PgDb& db) -> std::string {
    auto q = db.Prepare("SELECT current_setting('idle_in_transaction_session_timeout')");
    if (!q.ok()) return q.status().ToString();
    StmtRef& st = *q;
    auto row = st->Step();
    return row.ok() && *row ? st->Text(0) : "no row";
  };
  auto plain = PgDb::Open(url);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(setting(**plain), "20s");

  std::string name = "idle_tx_" + std::to_string(getpid());
  auto own = PgDb::Open(url + " application_name=" + name +
                        " options='-c idle_in_transaction_session_timeout=1s'");
  ASSERT_TRUE(own.ok()) << own.status().ToString();
  EXPECT_EQ(setting(**own), "1s");
  ASSERT_TRUE((*own)->Exec("BEGIN; SELECT 1").ok());
  auto sessions = [&]() -> int64_t {
    auto q = (*plain)->Prepare("SELECT count(*) FROM pg_stat_activity WHERE application_name = '" +
                               name + "'");
    if (!q.ok()) return -1;
    StmtRef& st = *q;
    auto row = st->Step();
    return row.ok() && *row ? st->Int(0) : -1;
  };
  EXPECT_TRUE(testing::WaitUntil([&] { return sessions() == 0; }, std::chrono::seconds(20),
                                 std::chrono::milliseconds(50)))
      << "the idle transaction's session was never ended";
  Status lost = (*own)->Exec("SELECT 1");
  EXPECT_EQ(lost.code(), Code::kUnavailable) << lost.ToString();
  EXPECT_TRUE((*own)->Ready().ok()) << "the next call reconnects";
  EXPECT_TRUE((*own)->Exec("SELECT 1").ok());
}

// Issue 11.16: under umask 000 the database was created 0644 (and a group could write it).
TEST(SqliteStoreTest, UnderUmask000TheDatabaseAndItsWalArePrivate) {
  testing::TempDir dir;
  mode_t old = umask(0);
  auto s = OpenAt(dir.File("cc-ci.db"));
  umask(old);
  ASSERT_TRUE(s);
  ASSERT_FALSE(s->RecordDelivery(D("d1"), QueueWork("o/r", 1, "a")).value().duplicate);
  auto mode = [&](const std::string& f) {
    struct stat st;
    return stat(dir.File(f).c_str(), &st) == 0 ? st.st_mode & 0777 : 01000;
  };
  EXPECT_EQ(mode("cc-ci.db"), 0640u);
  EXPECT_EQ(mode("cc-ci.db-wal"), 0640u);
  EXPECT_EQ(mode("cc-ci.db-shm"), 0640u);
}

TEST(SqliteStoreTest, AnOlderDatabaseMadeUnderUmask000IsMadePrivate) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("cc-ci.db"), "");
  chmod(dir.File("cc-ci.db").c_str(), 0666);
  ASSERT_TRUE(OpenAt(dir.File("cc-ci.db")));
  struct stat st;
  ASSERT_EQ(stat(dir.File("cc-ci.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

INSTANTIATE_TEST_SUITE_P(Drivers, StoreTest, ::testing::ValuesIn(testing::kStoreDrivers),
                         testing::DriverName);

}  // namespace
}  // namespace ccci
