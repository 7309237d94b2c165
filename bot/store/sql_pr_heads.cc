// The newest pull_request delivery of each PR, and the checks the reconciler makes with Gitea
// (migrations/009_replays.sql).
#include <algorithm>
#include <optional>

#include "bot/store/pr_heads.h"
#include "bot/store/sql_rows.h"
#include "bot/store/sql_store.h"

namespace ccci {
namespace {

enum class Freshness {
  kNew,    // newer than anything recorded (or as new and saying the same): apply it
  kStale,  // an older updated_at than the newest recorded: a replay, or out of order
  kDoubt,  // the same updated_at, another head or state
};

// The PR's newest recorded head: from `batch` when given, else read.
Result<std::optional<PrHead>> Newest(SqlDb& db, const std::string& repo, int64_t pr,
                                     DeliveryBatch* batch) {
  if (batch) return batch->Head(repo, pr);
  auto s =
      db.Prepare("SELECT updated_at, head_sha, state FROM pr_heads WHERE repo = ?1 AND pr = ?2");
  if (!s.ok()) return s.status();
  (*s)->Bind(1, repo).Bind(2, pr);
  auto row = (*s)->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<PrHead>();
  return std::optional<PrHead>(PrHead{(*s)->Int(0), (*s)->Text(1), (*s)->Text(2)});
}

// `head` is the run's head for a PR run, empty for a close. `*newest_ms` gets the newest
// recorded updated_at.
Freshness CompareWithNewest(const std::optional<PrHead>& newest, const PrFreshness& f,
                            const std::string& head, int64_t* newest_ms) {
  if (!newest || f.verified) return Freshness::kNew;
  *newest_ms = newest->updated_at_ms;
  if (f.updated_at_ms < *newest_ms) return Freshness::kStale;
  bool differs = f.state != newest->state || (!head.empty() && head != newest->head_sha);
  return f.updated_at_ms == *newest_ms && differs ? Freshness::kDoubt : Freshness::kNew;
}

// Records `f` (and `head`, when not empty) as the newest for the PR: in `batch` when given
// (which writes it at its Finish), else by an upsert.
Status RememberNewest(SqlDb& db, const std::string& repo, int64_t pr, const PrFreshness& f,
                      const std::string& head, DeliveryBatch* batch) {
  if (batch) {
    batch->UpsertHead(repo, pr, PrHead{f.updated_at_ms, head, f.state});
    return Status::Ok();
  }
  auto s = db.Prepare(std::string("INSERT INTO pr_heads (repo, pr, updated_at, head_sha, state) "
                                  "VALUES (?1, ?2, ?3, ?4, ?5) ") +
                      kPrHeadsUpsert);
  if (!s.ok()) return s.status();
  (*s)->Bind(1, repo).Bind(2, pr).Bind(3, f.updated_at_ms).Bind(4, head).Bind(5, f.state);
  return db.RunDeferred(**s);
}

// Keeps `w` for the reconciler to check with Gitea (replacing the PR's earlier check): in
// `batch` when given (which writes it at its Finish).
Status KeepForCheck(SqlDb& db, const Delivery& d, const Work& w, int64_t now,
                    DeliveryBatch* batch) {
  if (batch) {
    batch->KeepCheck(d, w, now);
    return Status::Ok();
  }
  bool run = w.kind == Work::Kind::kQueueRun;
  auto s = db.Prepare(std::string("INSERT INTO pr_checks (repo, pr, delivery_id, requested_at, "
                                  "kind, updated_at, head_sha, head_ref, base_ref, clone_url, "
                                  "title, author, trigger, cancel_reason) VALUES (?1, ?2, ?3, ?4, "
                                  "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) ") +
                      kPrChecksUpsert);
  if (!s.ok()) return s.status();
  (*s)->Bind(1, run ? w.run.repo : w.cancel_repo).Bind(2, run ? w.run.pr : w.cancel_pr);
  (*s)->Bind(3, d.id).Bind(4, now).Bind(5, run ? "run" : "cancel");
  (*s)->Bind(6, w.freshness->updated_at_ms).Bind(7, w.run.head_sha).Bind(8, w.run.head_ref);
  (*s)->Bind(9, w.run.base_ref).Bind(10, w.run.clone_url).Bind(11, w.run.title);
  (*s)->Bind(12, w.run.author).Bind(13, w.run.trigger).Bind(14, w.cancel_reason);
  return db.RunDeferred(**s);
}

}  // namespace

Result<bool> FreshEnough(SqlDb& db, const Delivery& d, const Work& work, int64_t now,
                         RecordOutcome* out, std::string* outcome, DeliveryBatch* batch) {
  bool run = work.kind == Work::Kind::kQueueRun;
  if (!work.freshness || (!run && work.kind != Work::Kind::kCancel) || (run && work.run.pr <= 0)) {
    return true;
  }
  const std::string& repo = run ? work.run.repo : work.cancel_repo;
  int64_t pr = run ? work.run.pr : work.cancel_pr;
  const std::string& head = run ? work.run.head_sha : "";
  auto newest = Newest(db, repo, pr, batch);
  if (!newest.ok()) return newest.status();
  Freshness f = CompareWithNewest(*newest, *work.freshness, head, &out->newest_updated_at_ms);
  if (f == Freshness::kStale || (f == Freshness::kDoubt && work.freshness->ask_forge)) {
    out->stale = f == Freshness::kStale;
    out->awaiting_check = !out->stale;
    *outcome = out->stale ? "stale" : "check";
    if (out->awaiting_check) CCCI_RETURN_IF_ERROR(KeepForCheck(db, d, work, now, batch));
    return false;
  }
  CCCI_RETURN_IF_ERROR(RememberNewest(db, repo, pr, *work.freshness, head, batch));
  return true;
}

// A pr_checks row (SELECTed in PendingPrChecks' column order) as the work it stands for.
static PrCheck ReadPrCheck(const SqlStmt& row) {
  PrCheck c;
  std::string kind;
  int64_t updated_at = 0;
  RunRequest r;
  std::string cancel_reason;
  ReadColumns(row, &c.repo, &c.pr, &c.delivery_id, &c.requested_at_ms, &kind, &updated_at,
              &r.head_sha, &r.head_ref, &r.base_ref, &r.clone_url, &r.title, &r.author, &r.trigger,
              &cancel_reason);
  Work& w = c.work;
  bool run = kind == "run";
  w.kind = run ? Work::Kind::kQueueRun : Work::Kind::kCancel;
  w.freshness = PrFreshness{updated_at, run ? "open" : "closed", true, false};
  if (run) {
    r.repo = c.repo;
    r.pr = c.pr;
    w.run = r;
  } else {
    w.cancel_repo = c.repo;
    w.cancel_pr = c.pr;
    w.cancel_reason = cancel_reason;
  }
  return c;
}

Result<std::vector<PrCheck>> SqlStore::PendingPrChecks(int limit) {
  return Read<std::vector<PrCheck>>([&](SqlDb& db) -> Result<std::vector<PrCheck>> {
    auto s = db.Prepare(
        "SELECT repo, pr, delivery_id, requested_at, kind, updated_at, head_sha, head_ref, "
        "base_ref, clone_url, title, author, trigger, cancel_reason FROM pr_checks "
        "ORDER BY requested_at LIMIT ?1");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, static_cast<int64_t>(limit));
    return CollectRows<PrCheck>(**s, ReadPrCheck);
  });
}

Status SqlStore::FinishPrCheck(const PrCheck& c) {
  return Write([&](SqlDb& db) -> Status {
    auto s = db.Prepare("DELETE FROM pr_checks WHERE repo = ?1 AND pr = ?2 AND delivery_id = ?3");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, c.repo).Bind(2, c.pr).Bind(3, c.delivery_id);
    return (*s)->Run();
  });
}

}  // namespace ccci
