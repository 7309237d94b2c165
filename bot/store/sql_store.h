#pragma once
// The Store over SQL, one implementation for both drivers (sql_db.h): SQLite, the embedded
// default (one file in WAL mode, or ":memory:" for the memory driver), and PostgreSQL (a
// server several cc-ci hosts share; pg_db.h). Writes are group-committed: a writer that
// finds no commit in progress becomes the leader and commits every write pending at that
// moment, its own included, in one transaction; the others wait for it and are woken one by
// one. A delivery is acknowledged only after its transaction is durable, yet 32 concurrent
// webhooks cost one commit, not 32, and no thread hop is added (context switches are costly
// on virtual machines: a dedicated writer thread halved throughput here). A delivery may also
// be recorded without a thread waiting for it (RecordDeliveryAsync): the leader that commits
// it hands it its outcome, so the webhook's answer is written from there and the HTTP worker
// that took it is free at once. Reads use their own
// connection and never wait for the writer (WAL; MVCC). SQLite's WAL checkpoints (and their
// fsyncs) run on a background thread of their own instead of inside some unlucky writer's
// commit; that thread also prunes old deliveries (both drivers).
// With PostgreSQL a lost connection fails the calls in flight with Unavailable and is reopened
// by the next call (SqlDb::Ready); a batch whose COMMIT did not come back is reported failed.
// With PostgreSQL the deliveries of a batch are recorded together (delivery_batch.h): one read
// for all of them, their writes and the COMMIT in one pipeline, a few round trips per batch
// instead of a few per delivery. SQLite, in process, records them one by one.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "bot/store/delivery_batch.h"
#include "bot/store/sql_db.h"
#include "bot/store/sqlite_db.h"
#include "bot/store/store.h"

namespace ccci {

class SqlStore : public Store {
 public:
  struct Options {
    std::string driver = "sqlite";  // sqlite | postgres
    std::string path;               // sqlite: database file, or ":memory:" for no persistence
    std::string url;                // postgres: a libpq connection string
    bool synchronous_full = false;
    Clock* clock = RealClock();
    size_t max_batch = 512;             // most writes committed in one transaction
    int64_t delivery_retention_ms = 0;  // prune older deliveries hourly; 0 keeps them
    // Added to the committer thread's nice value (AddThreadNice); 0 leaves it. The committer
    // is the intake's one serial stage: every write commits, and every delivery is answered,
    // from it. Refused (no privilege), it runs at the process's priority, and Open logs why.
    int committer_nice = 0;
  };

  // Opens (creating if needed) and migrates the database.
  static Result<std::unique_ptr<SqlStore>> Open(const Options& options);
  ~SqlStore() override;  // REQUIRES: no call in progress. Checkpoints SQLite's WAL.

  Result<RecordOutcome> RecordDelivery(const Delivery& delivery, const Work& work) override;
  void RecordDeliveryAsync(const Delivery& delivery, const Work& work, RecordDone done) override;
  Result<bool> HasDelivery(const std::string& id) override;
  Result<Run> GetRun(int64_t id) override;
  Result<RunPage> ListRuns(const RunQuery& query) override;
  Result<QueueCounts> CountQueue() override;
  Result<std::vector<Run>> UnreportedRuns(int limit) override;

  // The runner's side (sql_runs.cc).
  Result<std::vector<Run>> QueuedRuns(int limit) override;
  Result<bool> ClaimRun(int64_t id) override;
  Result<std::optional<Lease>> ClaimNext(const std::string& worker, int64_t lease_ms,
                                         const std::string& server) override;
  Result<bool> ExtendLease(int64_t run_id, const std::string& worker, int64_t attempt,
                           int64_t lease_ms) override;
  Status HoldRun(int64_t id, const std::string& reason) override;
  Status HoldRuns(const std::vector<std::pair<int64_t, std::string>>& holds) override;
  Status RecordStage(const StageRecord& stage) override;
  Result<std::vector<StageRecord>> ListStages(int64_t run_id) override;
  Status FinishRun(int64_t id, const std::string& state, std::optional<int64_t> level,
                   const std::string& reason) override;
  Status RequeueRun(int64_t id, const std::string& reason) override;
  Status RecordStage(const Holder& holder, const StageRecord& stage) override;
  Status FinishRun(const Holder& holder, int64_t id, const std::string& state,
                   std::optional<int64_t> level, const std::string& reason) override;
  Status RequeueRun(const Holder& holder, int64_t id, const std::string& reason) override;
  Status ReleaseRun(const Holder& holder, int64_t id, const std::string& state,
                    const std::string& reason) override;
  Result<std::vector<Run>> ReapExpiredLeases(const std::string& worker, const std::string& server,
                                             int64_t lease_ms, int64_t max_attempts) override;
  Result<bool> ExtendTakeOver(const Holder& holder, int64_t run_id, int64_t lease_ms) override;
  Status RequeueTakenOver(const Holder& holder, int64_t run_id) override;

  // OutboxStore (sql_outbox.cc).
  Result<int64_t> EnqueueMessage(const OutboxMessage& m) override;
  Status EnqueueRunReport(int64_t run_id, const std::string& state,
                          const std::vector<OutboxMessage>& messages) override;
  Result<std::vector<OutboxMessage>> DueMessages(int64_t now_ms, int limit) override;
  Status FinishMessage(int64_t id, const std::string& state, const std::string& error,
                       const std::string& sent_payload) override;
  Status RetryMessage(int64_t id, int64_t next_attempt_at_ms, const std::string& error) override;
  Result<std::vector<OutboxMessage>> RecentMessages(int limit,
                                                    const OutboxFilter& filter = {}) override;
  Result<std::optional<int64_t>> StickyComment(const std::string& repo, int64_t pr) override;
  Status SetStickyComment(const std::string& repo, int64_t pr, int64_t comment_id) override;

  // CommandStore (sql_commands.cc).
  Result<std::vector<PendingCommand>> PendingCommands(int limit) override;
  Status FinishCommand(int64_t id, const std::string& state, const std::string& note) override;
  Result<int64_t> RetestPr(const std::string& repo, int64_t pr, const std::string& by) override;
  Result<std::vector<int64_t>> CancelPr(const std::string& repo, int64_t pr,
                                        const std::string& reason) override;

  // HistoryStore (sql_history.cc).
  Result<std::vector<Run>> EndedRuns(const std::string& repo, std::optional<int64_t> pr,
                                     int64_t up_to_id, int limit) override;
  Result<std::vector<StageFlakiness>> FlakyStages(const std::string& repo, int window) override;

  // Approvals and held runs released by chat-ops (sql_approvals.cc).
  Result<std::vector<int64_t>> Approve(const std::string& repo, int64_t pr,
                                       const std::string& by) override;
  Result<bool> IsApproved(const std::string& repo, int64_t pr) override;
  Result<bool> RetestWaitingRun(int64_t run_id, const std::string& by) override;

  // PrCheckStore (sql_pr_heads.cc).
  Result<std::vector<PrCheck>> PendingPrChecks(int limit) override;
  Status FinishPrCheck(const PrCheck& check) override;

  // ArtifactStore (sql_artifacts.cc).
  Status AppendLogChunk(int64_t run_id, const std::string& log, int64_t seq, int64_t offset,
                        std::string_view bytes) override;
  Result<std::vector<LogChunk>> ReadLogChunks(int64_t run_id, const std::string& log,
                                              int64_t from_offset, size_t max_bytes) override;
  Result<LogExtent> GetLogExtent(int64_t run_id, const std::string& log) override;
  Status PutBlob(int64_t run_id, const std::string& name, const std::string& content_type,
                 std::string_view bytes) override;
  Result<ArtifactBlob> GetBlob(int64_t run_id, const std::string& name) override;
  Result<std::vector<int64_t>> RunsWithArtifactsEndedBefore(int64_t cutoff_ms, int limit) override;
  Result<int64_t> DeleteArtifacts(int64_t run_id) override;
  // NightlyStore (sql_nightly.cc).
  Result<bool> ClaimNightlyPass(const std::string& pass_id, const std::string& node,
                                int64_t stale_ms) override;
  Status FinishNightlyPass(const std::string& pass_id, int64_t runs_queued) override;
  Result<bool> HasNightlyRun(const std::string& pass_id, const std::string& repo) override;
  Result<NightlyQueued> QueueNightlyRun(const std::string& pass_id, const RunRequest& run) override;
  Result<std::optional<int64_t>> PreviousNightlyLevel(const std::string& repo,
                                                      int64_t before_run_id) override;
  Result<NightlyBoardData> NightlyBoard(int limit) override;
  Result<std::optional<RegressionIssue>> GetRegressionIssue(const std::string& repo) override;
  Status SetRegressionIssue(const std::string& repo, const RegressionIssue& issue) override;
  Status ClearRegressionIssue(const std::string& repo) override;

  // Runs `fn` inside the writer's next transaction (if it fails, only its changes are rolled
  // back). Returns once committed. For other components' writes, so every write shares the
  // group commit. `fn` may run more than once (when another job of its batch failed, the
  // batch runs again): it must set what it reports afresh each time.
  Status Write(std::function<Status(SqlDb&)> fn);

  // Deletes deliveries received before now - retention. Returns how many. Runs and
  // commands are kept (a delivery id is needed only to recognise a redelivery).
  Result<int64_t> PruneDeliveries(int64_t retention_ms);

  // The schema version the database is at.
  int SchemaVersion();

  // Writes waiting for the next transaction (not yet taken by a leader). For tests that
  // need several writes to share one batch.
  size_t QueuedWrites();

 private:
  struct Job {
    std::function<Status(SqlDb&)> fn;
    // A RecordDelivery's, which PostgreSQL records through a DeliveryBatch instead of `fn`
    // when it can (`fn` does the same, one by one).
    std::optional<DeliveryJob> delivery;
    RecordOutcome out;  // an asynchronous RecordDelivery's
    Status result;
    bool done = false;
    std::condition_variable cv;  // signalled when done, or when this job should lead
    // An asynchronous write's (no thread waits for it): called once it is committed or
    // failed, and the job deleted. It runs on the committer thread, which holds none of its
    // callers' locks; never on a synchronous writer's thread, which may hold a lock the
    // callback needs.
    std::function<void(Job&)> on_done;
  };

  explicit SqlStore(const Options& options);
  Status EnqueueInTxn(SqlDb& db, const OutboxMessage& m, int64_t now, int64_t* id);
  static Status CancelRunsInTxn(SqlDb& db, const Work& work, int64_t now, RecordOutcome* out);
  Status Init();
  // Commits `batch` in one transaction; sets each job's result. Called by the leader only.
  void CommitBatch(const std::vector<Job*>& batch);
  // `batched`: deliveries go through DeliveryBatch, BEGIN and COMMIT are pipelined
  // (PostgreSQL, without savepoints).
  static Status RunJobs(SqlDb& db, const std::vector<Job*>& batch, bool savepoints, bool batched,
                        bool* job_failed);
  // Runs the batchable delivery jobs of `batch` from `*at` on through one DeliveryBatch;
  // leaves `*at` past them.
  static Status RunDeliveries(SqlDb& db, const std::vector<Job*>& batch, size_t* at);
  Status Write(std::function<Status(SqlDb&)> fn, std::optional<DeliveryJob> delivery);
  // Queues an asynchronous job (owned by the queue from now on) and has the committer lead
  // if no one does.
  void Submit(Job* job);
  // Commits the pending writes batch after batch. Called with `lock` held and no commit in
  // progress. The committer (`own` null) goes on until none is pending, and finishes the
  // asynchronous jobs of each batch itself (outside the lock, still leading) before it takes
  // the next. A synchronous writer (`own`) stops once its own job is done and hands the
  // asynchronous jobs, and the lead if writes are still pending, to a waiting synchronous
  // writer or to the committer.
  void Lead(std::unique_lock<std::mutex>& lock, Job* own);
  static void Finish(Job* job);
  // The committer thread: leads the asynchronous writes, and finishes and leads what
  // synchronous leaders handed over.
  void CommitterLoop();
  Status MigrateSqlite();
  Status MigratePostgres();
  // Checkpoints (SQLite) and prunes deliveries, until the store closes.
  void MaintenanceLoop();
  // One WAL checkpoint pass (sqlite files); returns how long to wait before the next.
  std::chrono::milliseconds Checkpoint();
  // A PASSIVE pass; returns the frames the WAL held when it began, or -1 if it failed.
  int64_t CopyWal();
  // Has the next writer rewind a WAL of `frames` frames (sql_store.cc says how).
  void RewindWal(int64_t frames);
  static constexpr std::chrono::milliseconds kCheckpointIdle{250};
  static constexpr std::chrono::milliseconds kCheckpointBusy{20};
  static constexpr int64_t kWalRewindFrames = 16384;  // pages (4 KB each by default)
  static constexpr int kCatchUpPasses = 4;            // before a rewind, at most
  static constexpr int64_t kCatchUpFrames = 256;      // new in a pass: caught up
  static constexpr int kWalKeptBytes = 128 << 20;     // a rewound WAL's file, at most
  static constexpr int kWalIdleBytes = 16 << 20;      // more, with no writes: emptied
  int64_t last_wal_frames_ = 0;                       // maintenance thread only
  int64_t last_commits_ = 0;                          // maintenance thread only
  std::atomic<int64_t> commits_{0};                   // transactions begun by CommitBatch
  // Runs `fn` against the read connection under its lock.
  template <typename T>
  Result<T> Read(const std::function<Result<T>(SqlDb&)>& fn) {
    if (read_db_) {
      std::lock_guard<std::mutex> lock(read_db_mu_);
      CCCI_RETURN_IF_ERROR(read_db_->Ready());
      return fn(*read_db_);
    }
    std::lock_guard<std::mutex> lock(write_db_mu_);
    CCCI_RETURN_IF_ERROR(write_db_->Ready());
    return fn(*write_db_);
  }

  Options options_;
  std::unique_ptr<SqlDb> write_db_;
  std::unique_ptr<SqlDb> read_db_;  // null for :memory:, which has only write_db_
  std::mutex write_db_mu_;
  std::mutex read_db_mu_;

  std::mutex queue_mu_;
  std::deque<Job*> queue_;  // pending, not yet taken by a leader
  bool committing_ = false;
  std::vector<Job*> handed_over_;  // asynchronous jobs committed by a synchronous leader
  bool committer_lead_ = false;    // asynchronous writes wait for a leader
  bool closing_ = false;
  std::condition_variable committer_cv_;
  std::thread committer_;

  std::unique_ptr<SqliteDb> checkpoint_db_;  // sqlite files only
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool stopping_ = false;
  std::thread maintenance_;
};

}  // namespace ccci
