#pragma once
// The embedded Store: one SQLite file in WAL mode. All writes go through one writer thread
// that commits whatever is pending in a single transaction (group commit): a delivery is
// acknowledged only after its transaction is durable, yet 32 concurrent webhooks cost one
// commit, not 32. Reads use their own connection and never wait for the writer (WAL).

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/clock.h"
#include "bot/store/sqlite_db.h"
#include "bot/store/store.h"

namespace ccci {

class SqliteStore : public Store {
 public:
  struct Options {
    std::string path;  // database file, or ":memory:" for no persistence (benchmarks)
    bool synchronous_full = false;
    Clock* clock = RealClock();
    size_t max_batch = 512;  // most writes committed in one transaction
  };

  // Opens (creating if needed) and migrates the database, then starts the writer.
  static Result<std::unique_ptr<SqliteStore>> Open(const Options& options);
  ~SqliteStore() override;  // drains pending writes, then stops the writer

  Result<RecordOutcome> RecordDelivery(const Delivery& delivery, const Work& work) override;
  Result<bool> HasDelivery(const std::string& id) override;
  Result<Run> GetRun(int64_t id) override;
  Result<RunPage> ListRuns(const RunQuery& query) override;
  Result<QueueCounts> CountQueue() override;

  // Runs `fn` inside the writer's next transaction (in a savepoint of its own: if it fails,
  // only its changes are rolled back). Returns once committed. For other components'
  // writes, so every write shares the group commit.
  Status Write(std::function<Status(SqliteDb&)> fn);

  // The schema version the database is at.
  int SchemaVersion();

 private:
  struct Job {
    std::function<Status(SqliteDb&)> fn;
    std::promise<Status> done;
  };

  explicit SqliteStore(const Options& options);
  Status Init();
  void WriterLoop();
  // Runs `fn` against the read connection under its lock.
  template <typename T>
  Result<T> Read(const std::function<Result<T>(SqliteDb&)>& fn);

  Options options_;
  std::unique_ptr<SqliteDb> write_db_;
  std::unique_ptr<SqliteDb> read_db_;  // null for :memory:, which has only write_db_
  std::mutex write_db_mu_;
  std::mutex read_db_mu_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Job*> queue_;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace ccci
