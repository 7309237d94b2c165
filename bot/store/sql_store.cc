#include "bot/store/sql_store.h"

#include <sys/stat.h>

#include <algorithm>
#include <future>
#include <map>

#include "base/log.h"
#include "base/thread_name.h"
#include "base/thread_nice.h"
#include "bot/store/migrations.h"
#include "bot/store/pg_db.h"
#include "bot/store/pg_dialect.h"
#include "bot/store/pr_heads.h"
#include "bot/store/run_rows.h"
#include "bot/store/sql_rows.h"
#include "bot/store/sqlite_db.h"
#include "bot/store/work_signal.h"

namespace ccci {
namespace {

// Collects the ids an UPDATE ... RETURNING id yields.
Result<std::vector<int64_t>> CollectIds(const StmtRef& s) {
  return CollectRows<int64_t>(*s, [](const SqlStmt& row) { return row.Int(0); });
}

// The PR's live runs (queued, waiting, running), read once for all QueueRun needs: one
// statement instead of three (coalesce, supersede, stop), which is two round trips less per
// delivery on PostgreSQL.
struct LiveRun {
  int64_t id;
  bool running;
  bool same_head;
  bool nightly;  // trigger nightly: never superseded by a push
};

Result<std::vector<LiveRun>> LiveRuns(SqlDb& db, const RunRequest& req) {
  // INDEXED BY: SQLite otherwise may walk runs_by_repo (repo, id) through every run the repo
  // ever had, superseded ones included (measured: 45% of the intake's CPU after a few
  // thousand runs); a PR has only a few live runs. Three seeks, not `state IN (...)`: SQLite
  // builds a temporary b-tree of an IN list of more than two constants each time the
  // statement runs (so does RETURNING: see SqlDb::ReturningId).
  auto live = db.Prepare(
      "SELECT id, state, head_sha, trigger FROM runs INDEXED BY runs_by_pr "
      "WHERE repo = ?1 AND pr = ?2 AND state = 'queued' UNION ALL "
      "SELECT id, state, head_sha, trigger FROM runs INDEXED BY runs_by_pr "
      "WHERE repo = ?1 AND pr = ?2 AND state = 'waiting' UNION ALL "
      "SELECT id, state, head_sha, trigger FROM runs INDEXED BY runs_by_pr "
      "WHERE repo = ?1 AND pr = ?2 AND state = 'running'");
  if (!live.ok()) return live.status();
  (*live)->Bind(1, req.repo).Bind(2, req.pr);
  return CollectRows<LiveRun>(**live, [&](const SqlStmt& row) {
    return LiveRun{row.Int(0), row.Text(1) == "running", row.Text(2) == req.head_sha,
                   row.Text(3) == kNightlyTrigger};
  });
}

// The PR's live runs as `req` sees them: from `batch` when given, else read.
Result<std::vector<LiveRun>> LiveRunsOf(SqlDb& db, const RunRequest& req, DeliveryBatch* batch) {
  if (!batch) return LiveRuns(db, req);
  std::vector<LiveRun> live;
  for (const LiveRunRow& r : batch->Live(req.repo, req.pr)) {
    live.push_back(
        LiveRun{r.id, r.running, r.head_sha == req.head_sha, r.trigger == kNightlyTrigger});
  }
  return live;
}

Status QueueRun(SqlDb& db, const Delivery& d, const RunRequest& req, int64_t now,
                RecordOutcome* out, std::string* outcome, DeliveryBatch* batch = nullptr) {
  auto live = LiveRunsOf(db, req, batch);
  if (!live.ok()) return live.status();
  int64_t covering = 0;  // the newest live run of this head
  for (const LiveRun& r : *live) {
    if (r.same_head) covering = std::max(covering, r.id);
  }
  // A nightly run is the night's own (NightlyStore keeps it to one per pass), even when a
  // push's run tests the same head; a push may still coalesce into a nightly run.
  if (covering && req.trigger != kNightlyTrigger) {
    out->run_id = covering;
    out->coalesced = true;
    *outcome = "coalesced";
    return Status::Ok();
  }
  if (batch) {  // the id comes at Finish
    out->run_id = batch->NewRun();
    batch->InsertRun(out->run_id, d, req, now);
  } else {
    auto ins = db.Prepare(
        "INSERT INTO runs (repo, pr, head_sha, head_ref, base_ref, clone_url, title, author, "
        "trigger, delivery_id, state, created_at, updated_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'queued', ?11, ?11)" +
        std::string(db.ReturningId()));
    if (!ins.ok()) return ins.status();
    (*ins)->Bind(1, req.repo).Bind(2, req.pr).Bind(3, req.head_sha).Bind(4, req.head_ref);
    (*ins)->Bind(5, req.base_ref).Bind(6, req.clone_url).Bind(7, req.title).Bind(8, req.author);
    (*ins)->Bind(9, req.trigger).Bind(10, d.id).Bind(11, now);
    auto id = db.InsertedId(**ins);
    if (!id.ok()) return id.status();
    out->run_id = *id;
  }
  *outcome = "queued";

  // A nightly run stands beside the branch's other runs: it neither replaces a push's run nor
  // is replaced by one (the night's level would be lost).
  if (batch) {
    std::vector<LiveRunRow>& rows = batch->Live(req.repo, req.pr);
    if (req.trigger != kNightlyTrigger) {  // what the updates below leave live
      rows.erase(std::remove_if(rows.begin(), rows.end(),
                                [](const LiveRunRow& r) {
                                  return !r.running && r.trigger != kNightlyTrigger;
                                }),
                 rows.end());
    }
    rows.push_back(LiveRunRow{out->run_id, false, req.head_sha, req.trigger});
  }
  if (req.trigger == kNightlyTrigger) return Status::Ok();
  // Updated by id, not with UPDATE ... RETURNING, which builds a temporary table on every
  // run even when nothing matches (that was 12% of the intake's CPU).
  for (const LiveRun& r : *live) {
    if (r.nightly) continue;
    (r.running ? out->cancel_requested : out->superseded).push_back(r.id);
    if (batch) {  // the same, in one statement for the batch (DeliveryBatch::Supersede)
      batch->Supersede(r.id, out->run_id, now, r.running);
      continue;
    }
    // A queued run is superseded by the state it has when the row is written, not when it
    // was read: on PostgreSQL a worker may claim it in between (the UPDATE then waits for the
    // claim's commit and sees the running row), and a running run is asked to stop instead,
    // so its worker tears its stack down before the run ends.
    auto upd = db.Prepare(
        std::string("UPDATE") + db.OrFail() +
        (r.running ? " runs SET cancel_requested = 1, updated_at = ?3, superseded_by = ?2 "
                     "WHERE id = ?1"
                   : " runs SET superseded_by = ?2, updated_at = ?3, "
                     "cancel_requested = CASE WHEN state = 'running' THEN 1 "
                     "ELSE cancel_requested END, "
                     "finished_at = CASE WHEN state = 'running' THEN finished_at ELSE ?3 END, "
                     "reason = CASE WHEN state = 'running' THEN reason ELSE ?4 END, "
                     "state = CASE WHEN state = 'running' THEN state ELSE 'superseded' END "
                     "WHERE id = ?1 AND "  // (not IN: see LiveRuns)
                     "(state = 'queued' OR state = 'waiting' OR state = 'running')"));
    if (!upd.ok()) return upd.status();
    (*upd)->Bind(1, r.id).Bind(2, out->run_id).Bind(3, now);
    // The reason is made here: PostgreSQL gives a parameter one type, so ?2 cannot be both
    // the number superseded_by and text to concatenate.
    if (!r.running) (*upd)->Bind(4, "superseded by run " + std::to_string(out->run_id));
    CCCI_RETURN_IF_ERROR(db.RunDeferred(**upd));
  }
  return Status::Ok();
}

}  // namespace

Status QueueRunInTxn(SqlDb& db, const Delivery& d, const RunRequest& req, int64_t now,
                     RecordOutcome* out) {
  std::string outcome;
  return QueueRun(db, d, req, now, out, &outcome);
}

namespace {

// The two statements' order is the per-job path's; with `batch` their rows are not read (the
// batch knows which runs they change) and they run at its Finish.
Status CancelRuns(SqlDb& db, const Work& work, int64_t now, RecordOutcome* out,
                  DeliveryBatch* batch = nullptr) {
  static const char* kCancel =
      "UPDATE runs SET state = 'cancelled', reason = ?3, updated_at = ?4, finished_at = ?4 "
      "WHERE repo = ?1 AND pr = ?2 AND state IN ('queued', 'waiting') RETURNING id";
  static const char* kStop =
      "UPDATE runs SET cancel_requested = 1, reason = ?3, updated_at = ?4 "
      "WHERE repo = ?1 AND pr = ?2 AND state = 'running' RETURNING id";
  auto prepare = [&work, now](SqlDb& db, const char* sql) -> Result<StmtRef> {
    auto s = db.Prepare(sql);
    if (!s.ok()) return s.status();
    (*s)->Bind(1, work.cancel_repo).Bind(2, work.cancel_pr).Bind(3, work.cancel_reason);
    (*s)->Bind(4, now);
    return s;
  };
  if (batch) {
    std::vector<LiveRunRow>& rows = batch->Live(work.cancel_repo, work.cancel_pr);
    for (const LiveRunRow& r : rows)
      (r.running ? out->cancel_requested : out->cancelled).push_back(r.id);
    rows.erase(
        std::remove_if(rows.begin(), rows.end(), [](const LiveRunRow& r) { return !r.running; }),
        rows.end());
    batch->Then([prepare](SqlDb& db, const DeliveryBatch&) -> Status {
      for (const char* sql : {kCancel, kStop}) {
        auto s = prepare(db, sql);
        if (!s.ok()) return s.status();
        CCCI_RETURN_IF_ERROR(db.RunDeferred(**s));
      }
      return Status::Ok();
    });
    return Status::Ok();
  }
  auto cancel = prepare(db, kCancel);
  if (!cancel.ok()) return cancel.status();
  auto cancelled = CollectIds(*cancel);
  if (!cancelled.ok()) return cancelled.status();
  out->cancelled = std::move(*cancelled);
  auto stop = prepare(db, kStop);
  if (!stop.ok()) return stop.status();
  auto stopped = CollectIds(*stop);
  if (!stopped.ok()) return stopped.status();
  out->cancel_requested = std::move(*stopped);
  return Status::Ok();
}

Status AddCommand(SqlDb& db, const Delivery& d, const CommandRequest& c, int64_t now,
                  RecordOutcome* out) {
  auto ins = db.Prepare(
      "INSERT INTO commands (delivery_id, repo, pr, comment_id, author, body, author_can_push, "
      "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
      "ON CONFLICT (repo, comment_id) DO NOTHING RETURNING id");
  if (!ins.ok()) return ins.status();
  (*ins)->Bind(1, d.id).Bind(2, c.repo).Bind(3, c.pr).Bind(4, c.comment_id).Bind(5, c.author);
  (*ins)->Bind(6, c.body);
  if (c.author_can_push) {
    (*ins)->Bind(7, static_cast<int64_t>(*c.author_can_push));
  } else {
    (*ins)->BindNull(7);
  }
  (*ins)->Bind(8, now);
  auto inserted = (*ins)->Step();  // no row: the comment was recorded before
  if (!inserted.ok()) return inserted.status();
  out->command_id = *inserted ? (*ins)->Int(0) : 0;
  return Status::Ok();
}

// The id of an earlier delivery with the same id or body, or "". (`body_digest != ''` as
// written lets SQLite use the partial index deliveries_by_body.)
Result<std::string> EarlierDelivery(SqlDb& db, const Delivery& d) {
  auto seen = db.Prepare(
      "SELECT id FROM deliveries WHERE id = ?1 UNION ALL "
      "SELECT id FROM deliveries WHERE body_digest = ?2 AND body_digest != '' LIMIT 1");
  if (!seen.ok()) return seen.status();
  (*seen)->Bind(1, d.id).Bind(2, d.body_digest);
  auto row = (*seen)->Step();
  if (!row.ok()) return row.status();
  return *row ? (*seen)->Text(0) : std::string();
}

// Records `delivery` and does its work. With `batch` (a DeliveryBatch's job) it reads from the
// batch, and its writes wait for the batch's Finish.
Status RecordInTxn(SqlDb& db, const Delivery& delivery, const Work& work, int64_t now,
                   RecordOutcome* out, DeliveryBatch* batch = nullptr) {
  Result<std::string> earlier =
      batch ? Result<std::string>(batch->Earlier(delivery)) : EarlierDelivery(db, delivery);
  if (!earlier.ok()) return earlier.status();
  if (!earlier->empty()) {
    out->duplicate = true;
    out->duplicate_of = *earlier;
    return Status::Ok();
  }
  std::string outcome = "ignored";
  std::string detail = work.ignored_reason;
  auto fresh = FreshEnough(db, delivery, work, now, out, &outcome, batch);
  if (!fresh.ok()) return fresh.status();
  int64_t detail_run = 0;  // the detail names this run (its id may come at the batch's Finish)
  switch (*fresh ? work.kind : Work::Kind::kNone) {
    case Work::Kind::kNone:
      break;
    case Work::Kind::kQueueRun:
      CCCI_RETURN_IF_ERROR(QueueRun(db, delivery, work.run, now, out, &outcome, batch));
      detail_run = out->run_id;
      break;
    case Work::Kind::kCancel:
      CCCI_RETURN_IF_ERROR(CancelRuns(db, work, now, out, batch));
      outcome = "cancel";
      break;
    case Work::Kind::kCommand:
      if (batch) return Internal("a command is not recorded in a batch");
      CCCI_RETURN_IF_ERROR(AddCommand(db, delivery, work.command, now, out));
      outcome = "command";
      detail = "command " + std::to_string(out->command_id);
      break;
  }
  if (batch) {
    batch->Recorded(delivery);
    batch->InsertDelivery(delivery, outcome, detail, detail_run);
    return Status::Ok();
  }
  auto ins = db.Prepare(std::string("INSERT") + db.OrFail() +
                        " INTO deliveries (id, event, event_type, action, repo, pr, head_sha, "
                        "sender, received_at, outcome, detail, body_digest) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  if (!ins.ok()) return ins.status();
  (*ins)->Bind(1, delivery.id).Bind(2, delivery.event).Bind(3, delivery.event_type);
  (*ins)->Bind(4, delivery.action).Bind(5, delivery.repo).Bind(6, delivery.pr);
  (*ins)->Bind(7, delivery.head_sha).Bind(8, delivery.sender).Bind(9, delivery.received_at_ms);
  (*ins)->Bind(10, outcome).Bind(11, detail_run ? "run " + std::to_string(detail_run) : detail);
  (*ins)->Bind(12, delivery.body_digest);
  return db.RunDeferred(**ins);
}

}  // namespace

SqlStore::SqlStore(const Options& options) : options_(options) {}

Status SqlStore::CancelRunsInTxn(SqlDb& db, const Work& work, int64_t now, RecordOutcome* out) {
  return CancelRuns(db, work, now, out);
}

Result<std::unique_ptr<SqlStore>> SqlStore::Open(const Options& options) {
  std::unique_ptr<SqlStore> store(new SqlStore(options));
  CCCI_RETURN_IF_ERROR(store->Init());
  if (store->checkpoint_db_ ||
      (options.driver == "postgres" && options.delivery_retention_ms > 0)) {
    store->maintenance_ = NamedThread("store-upkeep", [s = store.get()] { s->MaintenanceLoop(); });
  }
  // Its priority is set by the thread itself (a thread's nice value is its own), before any
  // write; Open waits for it, so the store is whole when it returns.
  std::promise<Status> raised;
  std::future<Status> nice = raised.get_future();
  store->committer_ = NamedThread("store-commit", [s = store.get(), &raised] {
    raised.set_value(AddThreadNice(s->options_.committer_nice));
    s->CommitterLoop();
  });
  if (Status n = nice.get(); !n.ok()) {
    LogWarn("store.committer_priority_refused", {{"nice", options.committer_nice},
                                                 {"reason", n.message()}});
  } else if (options.committer_nice != 0) {
    LogInfo("store.committer_priority", {{"nice", options.committer_nice}});
  }
  return store;
}

Status SqlStore::Init() {
  if (options_.driver == "postgres") {
    for (auto* db : {&write_db_, &read_db_}) {
      auto pg = PgDb::Open(options_.url);
      if (!pg.ok()) return pg.status();
      *db = std::move(*pg);
    }
    return MigratePostgres();
  }
  if (options_.driver != "sqlite")
    return InvalidArgument("unknown store driver " + options_.driver);
  SqliteDb::Options o;
  o.path = options_.path;
  o.synchronous_full = options_.synchronous_full;
  auto db = SqliteDb::Open(o);
  if (!db.ok()) return db.status();
  write_db_ = std::move(*db);
  CCCI_RETURN_IF_ERROR(MigrateSqlite());
  if (options_.path != ":memory:") {
    // Writers never checkpoint; the maintenance thread does (see the header).
    CCCI_RETURN_IF_ERROR(write_db_->Exec("PRAGMA wal_autocheckpoint=0"));
    // A rewound WAL is truncated to this size, so a burst does not hold disk forever (and
    // Checkpoint empties it once writes stop). Above what steady writes fill between rewinds
    // (kWalRewindFrames, 64 MB, and what comes while RewindWal catches up): a WAL truncated at
    // every rewind had its blocks freed (discarded, on a disk mounted with `discard`) and
    // allocated again each time, 2.7 ms of the writer's first commit after each rewind.
    CCCI_RETURN_IF_ERROR(
        write_db_->Exec("PRAGMA journal_size_limit=" + std::to_string(kWalKeptBytes)));
    auto cdb = SqliteDb::Open(o);
    if (!cdb.ok()) return cdb.status();
    checkpoint_db_ = std::move(*cdb);
    o.read_only = true;
    auto rdb = SqliteDb::Open(o);
    if (!rdb.ok()) return rdb.status();
    read_db_ = std::move(*rdb);
  }
  return Status::Ok();
}

// SQLite records the version in PRAGMA user_version.
Status SqlStore::MigrateSqlite() {
  int version = SchemaVersion();
  for (const Migration& m : Migrations()) {
    if (m.version <= version) continue;
    CCCI_RETURN_IF_ERROR(write_db_->Exec("BEGIN IMMEDIATE"));
    Status s = write_db_->Exec(m.sql);
    if (s.ok()) s = write_db_->Exec("PRAGMA user_version = " + std::to_string(m.version));
    if (!s.ok()) {
      (void)write_db_->Exec("ROLLBACK");
      return Internal(std::string("migration ") + m.name + " failed: " + s.message());
    }
    CCCI_RETURN_IF_ERROR(write_db_->Exec("COMMIT"));
    LogInfo("store.migrated", {{"version", m.version}, {"name", m.name}});
  }
  return Status::Ok();
}

// PostgreSQL records it in a one-row table. Several hosts may start at once: each migration's
// transaction first takes an advisory lock, then reads the version again.
Status SqlStore::MigratePostgres() {
  SqlDb& db = *write_db_;
  CCCI_RETURN_IF_ERROR(
      db.Exec("CREATE TABLE IF NOT EXISTS cc_ci_schema (version BIGINT NOT NULL);"
              "INSERT INTO cc_ci_schema SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM cc_ci_schema)"));
  std::map<std::string, std::string> triggers;
  for (const Migration& m : Migrations()) {
    std::string sql = PgMigrationSql(m.sql, &triggers);  // every one: triggers spans them
    CCCI_RETURN_IF_ERROR(db.Exec("BEGIN; SELECT pg_advisory_xact_lock(7260130)"));
    auto v = db.Prepare("SELECT version FROM cc_ci_schema");
    Result<bool> row = v.ok() ? (*v)->Step() : Result<bool>(v.status());
    int64_t version = row.ok() && *row ? (*v)->Int(0) : 0;
    if (v.ok()) (*v)->Reset();
    Status s = row.status();
    if (s.ok() && m.version <= version) {
      CCCI_RETURN_IF_ERROR(db.Exec("COMMIT"));
      continue;
    }
    if (s.ok()) s = db.Exec(sql);
    if (s.ok()) s = db.Exec("UPDATE cc_ci_schema SET version = " + std::to_string(m.version));
    if (!s.ok()) {
      (void)db.Exec("ROLLBACK");
      return Internal(std::string("migration ") + m.name + " failed: " + s.message());
    }
    CCCI_RETURN_IF_ERROR(db.Exec("COMMIT"));
    LogInfo("store.migrated", {{"version", m.version}, {"name", m.name}, {"driver", "postgres"}});
  }
  return InstallWorkNotify(db);
}

SqlStore::~SqlStore() {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    closing_ = true;
  }
  committer_cv_.notify_all();
  if (committer_.joinable()) committer_.join();
  {
    std::lock_guard<std::mutex> lock(checkpoint_mu_);
    stopping_ = true;
  }
  checkpoint_cv_.notify_all();
  if (maintenance_.joinable()) maintenance_.join();
  if (checkpoint_db_) (void)checkpoint_db_->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

Result<int64_t> SqlStore::PruneDeliveries(int64_t retention_ms) {
  int64_t cutoff = options_.clock->NowUnixMillis() - retention_ms;
  int64_t deleted = 0;
  Status s = Write([&](SqlDb& db) -> Status {
    auto del = db.Prepare("DELETE FROM deliveries WHERE received_at < ?1");
    if (!del.ok()) return del.status();
    (*del)->Bind(1, cutoff);
    CCCI_RETURN_IF_ERROR((*del)->Run());
    deleted = db.Changes();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return deleted;
}

void SqlStore::MaintenanceLoop() {
  std::unique_lock<std::mutex> lock(checkpoint_mu_);
  auto next_prune = std::chrono::steady_clock::now();
  auto pause = kCheckpointIdle;
  while (!stopping_) {
    checkpoint_cv_.wait_for(lock, pause);
    if (stopping_) break;
    lock.unlock();
    if (options_.delivery_retention_ms > 0 && std::chrono::steady_clock::now() >= next_prune) {
      next_prune = std::chrono::steady_clock::now() + std::chrono::hours(1);
      auto n = PruneDeliveries(options_.delivery_retention_ms);
      if (!n.ok())
        LogWarn("store.prune_failed", {{"reason", n.status().message()}});
      else if (*n > 0)
        LogInfo("store.pruned", {{"deliveries", static_cast<long long>(*n)}});
    }
    if (checkpoint_db_) pause = Checkpoint();
    lock.lock();
  }
}

// PASSIVE never blocks writers: it copies what it can, and once it has copied every frame
// the next writer rewinds the WAL to its start. Under sustained writes it never quite catches
// up (each pass copies the frames the WAL held when it began), so the WAL would grow without
// end: past kWalRewindFrames, RewindWal has the next writer rewind it. While writes come in,
// passes come often (kCheckpointBusy), each copying only the last few milliseconds' pages.
// Measured with 5,000 deliveries/s: with passes 250 ms apart the WAL grew by 40-50 MB between
// them, every pass was a RESTART, and each held every writer for 45-75 ms: that was the
// intake's whole p99 (60-250 ms; under 20 ms now).
std::chrono::milliseconds SqlStore::Checkpoint() {
  int64_t frames = CopyWal();
  bool rewind = frames > kWalRewindFrames;
  if (rewind) RewindWal(frames);
  // Frames came (or went: a writer rewound the WAL) or this store committed since the last
  // pass: writes are coming in. (The frame count alone can be the same twice under writes.)
  int64_t commits = commits_.load(std::memory_order_relaxed);
  bool busy = rewind || frames != last_wal_frames_ || commits != last_commits_;
  last_wal_frames_ = frames;
  last_commits_ = commits;
  // Writes have stopped after a burst that grew the file (up to kWalKeptBytes): emptied, so
  // the disk is not held while nothing comes. (Not below kWalIdleBytes: a trickle of writes
  // would have its WAL's blocks freed and allocated again at every pause.)
  struct stat wal;
  if (!busy && stat((options_.path + "-wal").c_str(), &wal) == 0 && wal.st_size > kWalIdleBytes) {
    Status s = checkpoint_db_->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
    if (!s.ok()) LogWarn("store.checkpoint_failed", {{"reason", s.message()}});
  }
  return busy ? kCheckpointBusy : kCheckpointIdle;
}

int64_t SqlStore::CopyWal() {
  // Its row: (busy, frames in the WAL, frames copied to the database). The WAL file's size
  // says nothing of how much of it is in use: once rewound it stays at journal_size_limit.
  auto pass = checkpoint_db_->Prepare("PRAGMA wal_checkpoint(PASSIVE)");
  if (!pass.ok()) return -1;
  auto row = (*pass)->Step();
  int64_t frames = row.ok() && *row ? (*pass)->Int(1) : -1;
  (*pass)->Reset();
  if (!row.ok()) LogWarn("store.checkpoint_failed", {{"reason", row.status().message()}});
  return frames;
}

// A RESTART holds every writer back while it syncs the WAL, copies the frames no pass has
// copied, syncs the database and waits for readers of the old frames; the next writer then
// rewinds the WAL. Done alone, it held writers for 3-15 ms under load, 75-90 times in 10 s
// (the intake's p99: 21-25 ms at 32 connections): its syncs wrote all the database pages the
// passes since the last rewind had copied (a pass syncs the database only when it has copied
// every frame, which under writes it never has), and it copied what came during the pass
// before. So first, without holding writers: passes, each followed by writing both files
// through (SqliteDb::SyncFiles), until one finds few new frames since the one before; the
// RESTART is left what came during that last pass and sync. It still costs two device
// flushes (5-6 ms under load here), hence a rewind only every 64 MB (kWalRewindFrames).
void SqlStore::RewindWal(int64_t frames) {
  Status s;
  for (int pass = 0; pass < kCatchUpPasses; ++pass) {
    int64_t now = CopyWal();
    s = checkpoint_db_->SyncFiles();
    if (!s.ok() || now < 0 || now - frames < kCatchUpFrames) break;  // (fewer: rewound)
    frames = now;
  }
  if (s.ok()) s = checkpoint_db_->Exec("PRAGMA wal_checkpoint(RESTART)");
  if (!s.ok()) LogWarn("store.checkpoint_failed", {{"reason", s.message()}});
}

int SqlStore::SchemaVersion() {
  std::lock_guard<std::mutex> lock(write_db_mu_);
  auto s = write_db_->Prepare(options_.driver == "postgres" ? "SELECT version FROM cc_ci_schema"
                                                            : "PRAGMA user_version");
  if (!s.ok()) return 0;
  auto row = (*s)->Step();
  return row.ok() && *row ? static_cast<int>((*s)->Int(0)) : 0;
}

namespace {

// Runs a cached statement without rows (transaction control is prepared once, not parsed
// on every job).
Status RunCached(SqlDb& db, const char* sql) {
  auto s = db.Prepare(sql);
  if (!s.ok()) return s.status();
  return (*s)->Run();
}

}  // namespace

// Runs the batch's jobs in one transaction, each in a savepoint of its own when `savepoints`
// (a failed job's changes are rolled back alone) or else all in the open (a failed job leaves
// the transaction to be rolled back). Returns the transaction's own failure (begin, savepoint,
// commit); a job's failure is in its result, and `*job_failed` says whether one failed.
// `batched` (PostgreSQL's first pass): consecutive deliveries share a DeliveryBatch, and BEGIN
// and COMMIT travel with the statements next to them, so the batch costs a few round trips
// rather than a few per job. A failed COMMIT is then reported as a failed job's (the batch
// runs again with savepoints, which says whose it was).
Status SqlStore::RunJobs(SqlDb& db, const std::vector<Job*>& batch, bool savepoints, bool batched,
                         bool* job_failed) {
  *job_failed = false;
  if (batched) {
    auto begin = db.Prepare(db.BeginWrite());
    if (!begin.ok()) return begin.status();
    CCCI_RETURN_IF_ERROR(db.RunDeferred(**begin));
  } else {
    CCCI_RETURN_IF_ERROR(RunCached(db, db.BeginWrite()));
  }
  for (size_t i = 0; i < batch.size();) {
    if (batched && batch[i]->delivery && Batchable(*batch[i]->delivery)) {
      size_t first = i;
      Status s = RunDeliveries(db, batch, &i);
      if (!s.ok()) {  // whose it was is not known: each job of the batch is failed
        for (size_t j = first; j < i; ++j) batch[j]->result = s;
        *job_failed = true;
        db.DropDeferred();
        return Status::Ok();
      }
      continue;
    }
    Job* job = batch[i++];
    if (savepoints) CCCI_RETURN_IF_ERROR(RunCached(db, "SAVEPOINT job"));
    job->result = job->fn(db);
    // With savepoints each job's deferred statements run before its savepoint is released,
    // so a failure is its own; without, they may run with the next job's statements.
    if (savepoints && job->result.ok()) job->result = db.Flush();
    if (!job->result.ok()) {
      *job_failed = true;
      db.DropDeferred();
      if (!savepoints) return Status::Ok();
      CCCI_RETURN_IF_ERROR(RunCached(db, "ROLLBACK TO job"));
    }
    if (savepoints) CCCI_RETURN_IF_ERROR(RunCached(db, "RELEASE job"));
  }
  if (batched) {
    auto commit = db.Prepare("COMMIT");
    if (!commit.ok()) return commit.status();
    CCCI_RETURN_IF_ERROR(db.RunDeferred(**commit));
  }
  if (Status flushed = db.Flush(); !flushed.ok()) {  // whose it was is not known: all run again
    *job_failed = true;
    for (Job* job : batch) job->result = flushed;
    return Status::Ok();
  }
  return batched ? Status::Ok() : RunCached(db, "COMMIT");
}

Status SqlStore::RunDeliveries(SqlDb& db, const std::vector<Job*>& batch, size_t* at) {
  std::vector<DeliveryJob> jobs;
  for (; *at < batch.size() && batch[*at]->delivery && Batchable(*batch[*at]->delivery); ++*at) {
    jobs.push_back(*batch[*at]->delivery);
    batch[*at]->result = Status::Ok();
  }
  auto read = DeliveryBatch::Load(db, jobs);
  if (!read.ok()) return read.status();
  for (const DeliveryJob& job : jobs) {
    *job.out = RecordOutcome();
    CCCI_RETURN_IF_ERROR(RecordInTxn(db, *job.delivery, *job.work, job.now, job.out, &*read));
  }
  return read->Finish(db, jobs);
}

void SqlStore::CommitBatch(const std::vector<Job*>& batch) {
  std::lock_guard<std::mutex> lock(write_db_mu_);
  SqlDb& db = *write_db_;
  commits_.fetch_add(1, std::memory_order_relaxed);
  // First without savepoints: they are two statements per job (two round trips each on
  // PostgreSQL), and jobs rarely fail. If one does, the transaction is rolled back and, if
  // other jobs shared it, the batch runs again with a savepoint per job, so only the failed
  // job's changes are lost. (Every job is written to run again: it sets what it reports
  // afresh.) A lone job needs no second pass: its rollback is its savepoint's.
  bool job_failed = false;
  bool batched = options_.driver == "postgres";
  Status commit = db.Ready();
  // A job that throws (out of memory, a bug) fails the whole batch as a failed commit would:
  // let through, it would leave the lead taken (committing_) and every later write waiting.
  try {
    if (commit.ok()) commit = RunJobs(db, batch, /*savepoints=*/false, batched, &job_failed);
    if (commit.ok() && job_failed) {
      commit = RunCached(db, "ROLLBACK");
      if (commit.ok() && batch.size() > 1) commit = RunJobs(db, batch, true, false, &job_failed);
    }
  } catch (const std::exception& e) {
    commit = Internal(std::string("a write threw: ") + e.what());
  } catch (...) {
    commit = Internal("a write threw");
  }
  if (!commit.ok()) {
    db.DropDeferred();
    (void)write_db_->Exec("ROLLBACK");
    LogError("store.commit_failed", {{"reason", commit.message()}, {"jobs", batch.size()}});
    for (Job* job : batch) job->result = Unavailable(commit.message());
  }
}

Status SqlStore::Write(std::function<Status(SqlDb&)> fn) { return Write(std::move(fn), {}); }

Status SqlStore::Write(std::function<Status(SqlDb&)> fn, std::optional<DeliveryJob> delivery) {
  Job job;
  job.fn = std::move(fn);
  job.delivery = delivery;
  std::unique_lock<std::mutex> lock(queue_mu_);
  queue_.push_back(&job);
  while (!job.done) {
    if (committing_) {
      job.cv.wait(lock);
      continue;
    }
    Lead(lock, &job);
  }
  return job.result;
}

void SqlStore::Submit(Job* job) {
  std::lock_guard<std::mutex> lock(queue_mu_);
  queue_.push_back(job);
  // The committer leads, not the submitting thread (a hook worker, free at once for the next
  // delivery). Measured against the submitter leading (interleaved 5 s runs, three each):
  // SQLite 9,440-9,967 -> 10,300-10,787/s, memory 11,504-12,184 -> 12,082-13,025/s,
  // PostgreSQL 6,660-6,919 -> 7,360-7,545/s, p99 lower with each driver.
  if (!committing_ && !committer_lead_) {
    committer_lead_ = true;
    committer_cv_.notify_one();
  }
}

void SqlStore::Lead(std::unique_lock<std::mutex>& lock, Job* own) {
  while (!queue_.empty() && !committing_ && !(own && own->done)) {
    committing_ = true;
    std::vector<Job*> batch;
    while (!queue_.empty() && batch.size() < options_.max_batch) {
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    lock.unlock();
    CommitBatch(batch);
    lock.lock();
    std::vector<Job*> finished;
    for (Job* j : batch) {
      if (j->on_done) {
        finished.push_back(j);
        continue;
      }
      j->done = true;
      if (j != own) j->cv.notify_one();
    }
    if (own == nullptr) {  // the committer
      // Still leading while answering, so a second commit does not start meanwhile and
      // compete for the cores with the answers and the database. Measured against releasing
      // the lead first (PostgreSQL, interleaved 6 s runs, two sittings): 3,901-4,108 ->
      // 4,794-4,836/s, and medians 3,422 -> 3,660/s; memory and SQLite level.
      lock.unlock();
      for (Job* j : finished) Finish(j);
      lock.lock();
    } else if (!finished.empty()) {
      handed_over_.insert(handed_over_.end(), finished.begin(), finished.end());
      committer_cv_.notify_one();
    }
    committing_ = false;
    // A synchronous writer first in line leads next if this thread does not.
    if (!queue_.empty() && !queue_.front()->on_done) queue_.front()->cv.notify_one();
  }
  if (own && own->done && !queue_.empty() && !committing_ && queue_.front()->on_done) {
    committer_lead_ = true;  // (a synchronous writer first in line was woken above)
    committer_cv_.notify_one();
  }
}

void SqlStore::Finish(Job* job) {
  job->on_done(*job);
  delete job;
}

void SqlStore::CommitterLoop() {
  std::unique_lock<std::mutex> lock(queue_mu_);
  for (;;) {
    committer_cv_.wait(lock, [&] { return closing_ || !handed_over_.empty() || committer_lead_; });
    if (handed_over_.empty() && !committer_lead_) return;  // closing
    std::vector<Job*> finished = std::move(handed_over_);
    handed_over_.clear();
    bool lead = committer_lead_;
    committer_lead_ = false;
    lock.unlock();
    for (Job* j : finished) Finish(j);
    lock.lock();
    if (lead && !committing_) Lead(lock, nullptr);
  }
}

size_t SqlStore::QueuedWrites() {
  std::lock_guard<std::mutex> lock(queue_mu_);
  return queue_.size();
}

Result<RecordOutcome> SqlStore::RecordDelivery(const Delivery& delivery, const Work& work) {
  RecordOutcome out;
  int64_t now = options_.clock->NowUnixMillis();
  Status s = Write(
      [&](SqlDb& db) -> Status {
        out = RecordOutcome();
        return RecordInTxn(db, delivery, work, now, &out);
      },
      DeliveryJob{&delivery, &work, now, &out});
  if (!s.ok()) return s;
  return out;
}

void SqlStore::RecordDeliveryAsync(const Delivery& delivery, const Work& work, RecordDone done) {
  auto* job = new Job;
  int64_t now = options_.clock->NowUnixMillis();
  RecordOutcome* out = &job->out;
  job->fn = [&delivery, &work, now, out](SqlDb& db) -> Status {
    *out = RecordOutcome();
    return RecordInTxn(db, delivery, work, now, out);
  };
  job->delivery = DeliveryJob{&delivery, &work, now, out};
  job->on_done = [done = std::move(done)](Job& j) {
    done(j.result.ok() ? Result<RecordOutcome>(std::move(j.out)) : Result<RecordOutcome>(j.result));
  };
  Submit(job);
}

Result<bool> SqlStore::HasDelivery(const std::string& id) {
  return Read<bool>([&](SqlDb& db) -> Result<bool> {
    auto s = db.Prepare("SELECT 1 FROM deliveries WHERE id = ?1");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, id);
    return (*s)->Step();
  });
}

}  // namespace ccci
