// SqlStore's OutboxStore half: the outbox and sticky-comment tables (migration 002).

#include "bot/store/run_rows.h"
#include "bot/store/sql_store.h"

namespace ccci {
namespace {

constexpr const char* kColumns =
    "id, repo, pr, kind, coalesce_key, payload, state, attempts, next_attempt_at, last_error, "
    "created_at";

OutboxMessage ReadMessage(const SqlStmt& s) {
  OutboxMessage m;
  ReadColumns(s, &m.id, &m.repo, &m.pr, &m.kind, &m.coalesce_key, &m.payload, &m.state, &m.attempts,
              &m.next_attempt_at_ms, &m.last_error, &m.created_at_ms);
  return m;
}

Result<std::vector<OutboxMessage>> Collect(const StmtRef& s) {
  return CollectRows<OutboxMessage>(*s, ReadMessage);
}

}  // namespace

Status SqlStore::EnqueueInTxn(SqlDb& db, const OutboxMessage& m, int64_t now, int64_t* id) {
  if (m.kind == "status") {
    // A commit status the same as the newest one for its key (sent, or still to be sent) says
    // nothing new: a run reports every change, most of which leave most statuses as they are.
    auto last = db.Prepare(
        "SELECT id, payload FROM outbox WHERE coalesce_key = ?1 AND state != 'failed' "
        "ORDER BY id DESC LIMIT 1");
    if (!last.ok()) return last.status();
    (*last)->Bind(1, m.coalesce_key);
    auto row = (*last)->Step();
    if (!row.ok()) return row.status();
    if (*row && (*last)->Text(1) == m.payload) {
      *id = (*last)->Int(0);
      return Status::Ok();
    }
  }
  auto upd = db.Prepare(
      "UPDATE outbox SET payload = ?2, updated_at = ?3 WHERE id = "
      "(SELECT id FROM outbox WHERE coalesce_key = ?1 AND state = 'pending' ORDER BY id LIMIT 1) "
      "RETURNING id");
  if (!upd.ok()) return upd.status();
  (*upd)->Bind(1, m.coalesce_key).Bind(2, m.payload).Bind(3, now);
  auto row = (*upd)->Step();
  if (!row.ok()) return row.status();
  if (*row) {
    *id = (*upd)->Int(0);
    return Status::Ok();
  }
  auto ins = db.Prepare(
      "INSERT INTO outbox (repo, pr, kind, coalesce_key, payload, next_attempt_at, created_at, "
      "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?6)" +
      std::string(db.ReturningId()));
  if (!ins.ok()) return ins.status();
  (*ins)->Bind(1, m.repo).Bind(2, m.pr).Bind(3, m.kind).Bind(4, m.coalesce_key);
  (*ins)->Bind(5, m.payload).Bind(6, now);
  auto inserted = db.InsertedId(**ins);
  if (!inserted.ok()) return inserted.status();
  *id = *inserted;
  return Status::Ok();
}

Result<int64_t> SqlStore::EnqueueMessage(const OutboxMessage& m) {
  int64_t id = 0;
  int64_t now = options_.clock->NowUnixMillis();
  Status s = Write([&](SqlDb& db) { return EnqueueInTxn(db, m, now, &id); });
  if (!s.ok()) return s;
  return id;
}

Status SqlStore::EnqueueRunReport(int64_t run_id, const std::string& state,
                                  const std::vector<OutboxMessage>& messages) {
  int64_t now = options_.clock->NowUnixMillis();
  return Write([&](SqlDb& db) -> Status {
    for (const OutboxMessage& m : messages) {
      int64_t id;
      CCCI_RETURN_IF_ERROR(EnqueueInTxn(db, m, now, &id));
    }
    auto mark = db.Prepare(std::string("UPDATE runs SET reported_state = ?2 WHERE id = ?1 AND ") +
                           kReportKeySql + " = ?2");
    if (!mark.ok()) return mark.status();
    (*mark)->Bind(1, run_id).Bind(2, state);
    return (*mark)->Run();
  });
}

Result<std::vector<OutboxMessage>> SqlStore::DueMessages(int64_t now_ms, int limit) {
  return Read<std::vector<OutboxMessage>>([&](SqlDb& db) -> Result<std::vector<OutboxMessage>> {
    // The oldest pending message of each PR's lane, if it is due.
    auto s = db.Prepare(std::string("SELECT ") + kColumns +
                        " FROM outbox o WHERE state = 'pending' AND next_attempt_at <= ?1 "
                        "AND id = (SELECT min(id) FROM outbox p WHERE p.state = 'pending' "
                        "AND p.repo = o.repo AND p.pr = o.pr AND p.lane = o.lane) "
                        "ORDER BY id LIMIT ?2");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, now_ms).Bind(2, static_cast<int64_t>(limit));
    return Collect(*s);
  });
}

Status SqlStore::FinishMessage(int64_t id, const std::string& state, const std::string& error,
                               const std::string& sent_payload) {
  int64_t now = options_.clock->NowUnixMillis();
  return Write([&](SqlDb& db) -> Status {
    auto s = db.Prepare(
        "UPDATE outbox SET state = ?2, last_error = ?3, attempts = attempts + 1, updated_at = ?4 "
        "WHERE id = ?1 AND payload = ?5");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, id).Bind(2, state).Bind(3, error).Bind(4, now).Bind(5, sent_payload);
    CCCI_RETURN_IF_ERROR((*s)->Run());
    if (db.Changes() > 0) return Status::Ok();
    auto again = db.Prepare(
        "UPDATE outbox SET next_attempt_at = ?2, updated_at = ?2 WHERE id = ?1 AND state = "
        "'pending'");
    if (!again.ok()) return again.status();
    (*again)->Bind(1, id).Bind(2, now);
    return (*again)->Run();
  });
}

Status SqlStore::RetryMessage(int64_t id, int64_t next_attempt_at_ms, const std::string& error) {
  int64_t now = options_.clock->NowUnixMillis();
  return Write([&](SqlDb& db) -> Status {
    auto s = db.Prepare(
        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3, "
        "updated_at = ?4 WHERE id = ?1");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, id).Bind(2, next_attempt_at_ms).Bind(3, error).Bind(4, now);
    return (*s)->Run();
  });
}

Result<std::vector<OutboxMessage>> SqlStore::RecentMessages(int limit, const OutboxFilter& filter) {
  return Read<std::vector<OutboxMessage>>([&](SqlDb& db) -> Result<std::vector<OutboxMessage>> {
    auto s = db.Prepare(
        std::string("SELECT ") + kColumns +
        " FROM outbox WHERE (?2 = '' OR repo = ?2) AND (CAST(?3 AS BIGINT) IS NULL OR pr = ?3) "
        "ORDER BY id DESC LIMIT ?1");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, static_cast<int64_t>(limit)).Bind(2, filter.repo).Bind(3, filter.pr);
    return Collect(*s);
  });
}

Result<std::optional<int64_t>> SqlStore::StickyComment(const std::string& repo, int64_t pr) {
  return Read<std::optional<int64_t>>([&](SqlDb& db) -> Result<std::optional<int64_t>> {
    auto s = db.Prepare("SELECT comment_id FROM sticky_comments WHERE repo = ?1 AND pr = ?2");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, repo).Bind(2, pr);
    auto row = (*s)->Step();
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<int64_t>();
    return std::optional<int64_t>((*s)->Int(0));
  });
}

Status SqlStore::SetStickyComment(const std::string& repo, int64_t pr, int64_t comment_id) {
  return Write([&](SqlDb& db) -> Status {
    auto s = db.Prepare(
        "INSERT INTO sticky_comments (repo, pr, comment_id) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (repo, pr) DO UPDATE SET comment_id = excluded.comment_id");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, repo).Bind(2, pr).Bind(3, comment_id);
    return (*s)->Run();
  });
}

}  // namespace ccci
