#pragma once
// What a group-committed batch of deliveries reads, fetched for all of them at once (PostgreSQL
// only). Recording a delivery one by one reads three times (an earlier delivery with its id or
// body, the PR's newest updated_at, the PR's live runs) and learns a new run's id from its
// INSERT: four round trips each, serialized behind the batch's leader, were what bounded
// ingest with PostgreSQL. With a DeliveryBatch the jobs of a batch read from one statement
// run before the first of them (Load), and each job's own writes update what the later jobs
// read, so they see each other exactly as they would one by one: a second body of the batch is
// a duplicate of the first, a second push to a PR supersedes (or coalesces into) the first's
// run. Load also takes, from the runs' sequence, an id for every run the batch may make (one per
// job that may queue one; an id left unused is a gap). The writes are kept until every job has
// run; Finish then sends them, deferred (they go with the COMMIT). So a batch costs two round
// trips, whatever its size.
//
// The common writes (a new run, a superseded run, a delivery, a PR's head, a check) are sent
// as one multi-row statement per kind rather than one per row, which saves the server the cost
// of each statement beyond its rows (tests/bench/bot/batch_bench.cc: a quarter to a half of its
// CPU per delivery in batches of 20 to 50). The batch's statements, its read included, run
// under planner settings that plan each once (delivery_batch.cc, kPlanned). They
// are folded only where the order of the rows cannot matter: between two writes kept with Then (a
// close's cancels), the stretch's new runs are inserted first, then its superseded runs updated (a
// run made and superseded in one stretch is there to update), then its deliveries; a PR's head and
// check are folded into one row per PR, as the statements one by one would leave them.
//
// Reads are as fresh as the batch's first statement: another host's write committed while the
// batch runs is seen by the next batch (as it would be had it committed a moment later). A
// conflicting write (another host recorded the same delivery id) fails the batch at its
// flush, and the batch runs again job by job (SqlStore::CommitBatch).

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/status.h"
#include "bot/store/records.h"
#include "bot/store/sql_db.h"

namespace ccci {

// One RecordDelivery waiting in the writer's queue: what it records, and where its outcome
// goes.
struct DeliveryJob {
  const Delivery* delivery = nullptr;
  const Work* work = nullptr;
  int64_t now = 0;
  RecordOutcome* out = nullptr;
};

// The newest pull_request delivery recorded for a PR (table pr_heads).
struct PrHead {
  int64_t updated_at_ms = 0;
  std::string head_sha;
  std::string state;
};

// A live (queued, waiting or running) run of a PR.
struct LiveRunRow {
  int64_t id = 0;
  bool running = false;
  std::string head_sha;
  std::string trigger;
};

class DeliveryBatch {
 public:
  // A write that needs run ids the batch has not got yet: it is handed the batch to resolve
  // them with Id().
  using Write = std::function<Status(SqlDb&, const DeliveryBatch&)>;

  // Reads, in one statement, what `jobs` need: their earlier deliveries (by id and body), the
  // newest updated_at and live runs of every PR their work touches, and ids for their new runs.
  static Result<DeliveryBatch> Load(SqlDb& db, const std::vector<DeliveryJob>& jobs);

  // The id of an earlier delivery with `d`'s id or body, or "" (as EarlierDelivery reads).
  std::string Earlier(const Delivery& d) const;
  // `d` is recorded: later jobs see it as an earlier delivery.
  void Recorded(const Delivery& d);
  // The PR's newest head (nullopt: none recorded), to read and to update.
  std::optional<PrHead>& Head(const std::string& repo, int64_t pr);
  // The PR's live runs, oldest first, to read and to update.
  std::vector<LiveRunRow>& Live(const std::string& repo, int64_t pr);
  // A new run's id, to be: a placeholder above every real id, in order, until Finish.
  int64_t NewRun();
  // Keeps `w` to run at Finish, after the writes kept before it (the rows below included).
  void Then(Write w);
  // The rows Finish writes, in the stretch since the last Then. `id` and `by` may be
  // placeholders. Pointers are the jobs' (they outlive Finish).
  // A new queued run `id` (from NewRun) for `req`, made by `d` at `now`.
  void InsertRun(int64_t id, const Delivery& d, const RunRequest& req, int64_t now);
  // Run `id` superseded by run `by`: a queued run ends superseded, a running one (`running`:
  // as read, or claimed by a worker since) is asked to stop instead (QueueRun says why).
  void Supersede(int64_t id, int64_t by, int64_t now, bool running);
  // `d` recorded with `outcome`; its detail is "run N" for `detail_run`, else `detail`.
  void InsertDelivery(const Delivery& d, std::string outcome, std::string detail,
                      int64_t detail_run);
  // The PR's pr_heads row upserted with `h` (an empty head_sha keeps the row's; updated_at
  // only grows), after the batch's earlier upserts of it; Head reads the row so.
  void UpsertHead(const std::string& repo, int64_t pr, const PrHead& h);
  // `d`'s work kept in pr_checks for the reconciler, replacing the PR's earlier check.
  void KeepCheck(const Delivery& d, const Work& w, int64_t now);
  // The real id of `id` (a placeholder from NewRun, or a real id). REQUIRES: in a Write.
  int64_t Id(int64_t id) const;

  // Defers the heads and checks, then the kept writes and rows in order (they are sent with
  // the next statement, or the COMMIT), and puts the real ids in `jobs`' outcomes.
  Status Finish(SqlDb& db, const std::vector<DeliveryJob>& jobs);

 private:
  using PrKey = std::pair<std::string, int64_t>;
  struct NewRunRow {
    int64_t id;
    const Delivery* d;
    const RunRequest* req;
    int64_t now;
  };
  struct SupersedeRow {
    int64_t id, by, now;
    bool running;
  };
  struct DeliveryRow {
    const Delivery* d;
    std::string outcome, detail;
    int64_t detail_run;
  };
  struct CheckRow {
    const Delivery* d;
    const Work* w;
    int64_t now;
  };
  // The rows of one stretch between two Then writes, in the order they were made.
  struct Rows {
    std::vector<NewRunRow> runs;
    std::vector<SupersedeRow> supersedes;
    std::vector<DeliveryRow> deliveries;
  };
  // Keeps the stretch's rows as a write of their own, before what comes next.
  void Seal();
  // Defers `rows`' statements: one per kind, new runs first, then superseded runs, then
  // deliveries.
  Status WriteRows(SqlDb& db, const Rows& rows) const;
  // Defers the PRs' heads and checks: a statement each (their order against the runs' and
  // deliveries' does not matter: nothing else of the batch reads or writes them).
  Status WriteHeadsAndChecks(SqlDb& db) const;

  std::set<std::string> ids_;                            // deliveries known by id
  std::unordered_map<std::string, std::string> bodies_;  // body digest -> a delivery's id
  std::map<PrKey, std::optional<PrHead>> heads_;         // every PR of the batch
  std::map<PrKey, std::vector<LiveRunRow>> live_;        // every PR of the batch
  int64_t new_runs_ = 0;
  std::vector<int64_t> ids_taken_;  // the new runs' real ids, by placeholder
  std::vector<Write> writes_;
  Rows rows_;  // since the last Then
  // Per PR, the batch's upserts folded into one that leaves the row as they would one by one.
  std::map<PrKey, std::optional<PrHead>> head_rows_;
  std::map<PrKey, CheckRow> check_rows_;  // per PR, the batch's last check
};

// Whether a job is recorded through a DeliveryBatch: every delivery but a command's (its
// INSERT ... ON CONFLICT needs the row it returns, and commands are rare).
inline bool Batchable(const DeliveryJob& job) { return job.work->kind != Work::Kind::kCommand; }

}  // namespace ccci
