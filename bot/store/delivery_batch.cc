#include "bot/store/delivery_batch.h"

#include <algorithm>
#include <initializer_list>

#include "bot/store/pr_heads.h"
#include "bot/store/sql_rows.h"

namespace ccci {
namespace {

// Placeholders for new runs' ids: above any real id, in the order the runs were made, so
// "the newest live run" is the same whether its id is known yet or not.
constexpr int64_t kPlaceholder = int64_t{1} << 62;

// A PostgreSQL array literal of `items` ({"a","b"}), each quoted and escaped: quoted, an
// empty string stays one, and "NULL", commas, braces and spaces are text. (No item is NULL.)
std::string TextArray(const std::vector<std::string>& items) {
  std::string out = "{";
  for (const std::string& s : items) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : s) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string IntArray(const std::vector<int64_t>& items) {
  std::string out = "{";
  for (int64_t v : items) {
    if (out.size() > 1) out += ',';
    out += std::to_string(v);
  }
  return out + "}";
}

// Rows to send as one statement: each row's values (numbers as text) go into one array
// literal per column, bound to ?1..?n in column order (a quoted number is a number to a
// bigint[]).
class Columns {
 public:
  explicit Columns(size_t n) : columns_(n) {}
  void Add(std::initializer_list<std::string> row) {
    size_t c = 0;
    for (const std::string& v : row) columns_.at(c++).push_back(v);
  }
  void Bind(SqlStmt& s) const {
    for (size_t c = 0; c < columns_.size(); ++c)
      s.Bind(static_cast<int>(c) + 1, TextArray(columns_[c]));
  }

 private:
  std::vector<std::vector<std::string>> columns_;
};

// Prepares `sql` and defers it with `c` bound.
Status Send(SqlDb& db, const std::string& sql, const Columns& c) {
  auto s = db.Prepare(sql);
  if (!s.ok()) return s.status();
  c.Bind(**s);
  return db.RunDeferred(**s);
}

// A batch's read and writes are planned once for all, with no sequential scan. A plan made for
// the arrays of each batch would cost the server more than the statements it saves: Load's
// four-way UNION took a third of the server's CPU per batch to plan (perf, batches of 3), and
// `runs`, with its indexes and triggers, takes ~100 us; PostgreSQL makes one each time when a
// batch is smaller than the ten rows it guesses an array holds. The plan made once is kept
// until the tables are analyzed again; made while `runs` was small (a new database), it would
// hash-join a scan of all of it on every batch after. (Load keeps its lookups to the index
// with OFFSET 0; the rows an UPDATE changes cannot come from a subquery.) Load sends these
// before its read, deferred with it; Finish sends kAsBefore after the writes.
constexpr const char* kPlanned[] = {"SET LOCAL plan_cache_mode = force_generic_plan",
                                    "SET LOCAL enable_seqscan = off"};
constexpr const char* kAsBefore[] = {"SET LOCAL enable_seqscan TO DEFAULT",
                                     "SET LOCAL plan_cache_mode TO DEFAULT"};

}  // namespace

Result<DeliveryBatch> DeliveryBatch::Load(SqlDb& db, const std::vector<DeliveryJob>& jobs) {
  DeliveryBatch b;
  std::vector<std::string> ids, bodies, repos;
  std::vector<int64_t> prs;
  int64_t may_queue = 0;  // jobs that may make a run: each makes one at most
  for (const DeliveryJob& job : jobs) {
    ids.push_back(job.delivery->id);
    if (!job.delivery->body_digest.empty()) bodies.push_back(job.delivery->body_digest);
    const Work& w = *job.work;
    std::optional<PrKey> key;
    if (w.kind == Work::Kind::kQueueRun) {
      key = PrKey(w.run.repo, w.run.pr);
      ++may_queue;
    }
    if (w.kind == Work::Kind::kCancel) key = PrKey(w.cancel_repo, w.cancel_pr);
    if (key && b.heads_.emplace(*key, std::nullopt).second) {
      b.live_[*key];
      repos.push_back(key->first);
      prs.push_back(key->second);
    }
  }
  for (const char* sql : kPlanned) CCCI_RETURN_IF_ERROR(Send(db, sql, Columns(0)));
  // One statement, four kinds of rows: d (a delivery: id, body), h (a PR's newest head), r (a
  // live run), n (an id from the runs' sequence for a run the batch may make: taken here rather
  // than in a round trip of its own at Finish; an id not used is a gap in the sequence, as a
  // rolled-back insert leaves). Each key is looked up by index in a subquery of its own:
  // OFFSET 0 keeps the planner from joining the keys to the whole table, which its plan for an
  // empty table (the plan is cached with the statement, made when the tables were small) would
  // do with a sequential scan, for good. ORDER BY state makes runs_by_pr (repo, pr, state) the
  // index for runs, which with no statistics yet ties with runs_by_repo (every run the repo had).
  auto s = db.Prepare(
      "SELECT 'd', x.id, x.body_digest, 0, 0, '', '' FROM unnest(?1::text[]) AS k (id), "
      "LATERAL (SELECT id, body_digest FROM deliveries WHERE id = k.id OFFSET 0) x "
      "UNION ALL SELECT 'd', x.id, x.body_digest, 0, 0, '', '' FROM unnest(?2::text[]) AS k (b), "
      "LATERAL (SELECT id, body_digest FROM deliveries WHERE body_digest = k.b "
      "AND body_digest != '' OFFSET 0) x "
      "UNION ALL SELECT 'h', x.repo, x.head_sha, x.pr, x.updated_at, x.state, '' "
      "FROM unnest(?3::text[], ?4::bigint[]) AS k (repo, pr), "
      "LATERAL (SELECT * FROM pr_heads WHERE repo = k.repo AND pr = k.pr OFFSET 0) x "
      "UNION ALL SELECT 'r', x.repo, x.head_sha, x.pr, x.id, x.state, x.trigger "
      "FROM unnest(?3::text[], ?4::bigint[]) AS k (repo, pr), "
      "LATERAL (SELECT repo, head_sha, pr, id, state, trigger FROM runs WHERE repo = k.repo "
      "AND pr = k.pr AND state IN ('queued', 'waiting', 'running') ORDER BY state OFFSET 0) x "
      "UNION ALL SELECT 'n', '', '', nextval(pg_get_serial_sequence('runs', 'id')), 0, '', '' "
      "FROM generate_series(1, ?5)");
  if (!s.ok()) return s.status();
  (*s)->Bind(1, TextArray(ids)).Bind(2, TextArray(bodies)).Bind(3, TextArray(repos));
  (*s)->Bind(4, IntArray(prs)).Bind(5, may_queue);
  CCCI_RETURN_IF_ERROR(ForEachRow(**s, [&] {
    const SqlStmt& row = **s;
    std::string kind = row.Text(0), a = row.Text(1), text = row.Text(2);
    if (kind == "d") {
      b.ids_.insert(a);
      if (!text.empty()) b.bodies_.emplace(text, a);
    } else if (kind == "n") {
      b.ids_taken_.push_back(row.Int(3));
    } else if (kind == "h") {
      b.heads_[PrKey(a, row.Int(3))] = PrHead{row.Int(4), text, row.Text(5)};
    } else {
      b.live_[PrKey(a, row.Int(3))].push_back(
          LiveRunRow{row.Int(4), row.Text(5) == "running", text, row.Text(6)});
    }
  }));
  std::sort(b.ids_taken_.begin(), b.ids_taken_.end());  // in the order the runs are made
  for (auto& [key, runs] : b.live_) {
    std::sort(runs.begin(), runs.end(),
              [](const LiveRunRow& x, const LiveRunRow& y) { return x.id < y.id; });
  }
  return b;
}

std::string DeliveryBatch::Earlier(const Delivery& d) const {
  if (ids_.count(d.id)) return d.id;
  if (d.body_digest.empty()) return "";
  auto it = bodies_.find(d.body_digest);
  return it == bodies_.end() ? "" : it->second;
}

void DeliveryBatch::Recorded(const Delivery& d) {
  ids_.insert(d.id);
  if (!d.body_digest.empty()) bodies_.emplace(d.body_digest, d.id);
}

std::optional<PrHead>& DeliveryBatch::Head(const std::string& repo, int64_t pr) {
  return heads_[PrKey(repo, pr)];  // loaded for every PR of the batch
}

std::vector<LiveRunRow>& DeliveryBatch::Live(const std::string& repo, int64_t pr) {
  return live_[PrKey(repo, pr)];
}

int64_t DeliveryBatch::NewRun() { return kPlaceholder + new_runs_++; }

int64_t DeliveryBatch::Id(int64_t id) const {
  return id >= kPlaceholder ? ids_taken_[static_cast<size_t>(id - kPlaceholder)] : id;
}

Status DeliveryBatch::Finish(SqlDb& db, const std::vector<DeliveryJob>& jobs) {
  if (static_cast<int64_t>(ids_taken_.size()) < new_runs_) {  // Load took one per possible run
    return Internal("the batch made more runs than Load took ids for");
  }
  Seal();
  // The planner settings Load set are the server's again for what follows in the
  // transaction.
  // (Load set them.) A batch of nothing but duplicates (a replay flood) writes nothing.
  if (!writes_.empty() || !head_rows_.empty() || !check_rows_.empty()) {
    CCCI_RETURN_IF_ERROR(WriteHeadsAndChecks(db));
    for (const Write& w : writes_) CCCI_RETURN_IF_ERROR(w(db, *this));
  }
  for (const char* sql : kAsBefore) CCCI_RETURN_IF_ERROR(Send(db, sql, Columns(0)));
  for (const DeliveryJob& job : jobs) {
    RecordOutcome& out = *job.out;
    out.run_id = Id(out.run_id);
    for (auto* ids : {&out.superseded, &out.cancel_requested, &out.cancelled}) {
      for (int64_t& id : *ids) id = Id(id);
    }
  }
  return Status::Ok();
}

void DeliveryBatch::Then(Write w) {
  Seal();
  writes_.push_back(std::move(w));
}

void DeliveryBatch::InsertRun(int64_t id, const Delivery& d, const RunRequest& req, int64_t now) {
  rows_.runs.push_back(NewRunRow{id, &d, &req, now});
}

void DeliveryBatch::Supersede(int64_t id, int64_t by, int64_t now, bool running) {
  rows_.supersedes.push_back(SupersedeRow{id, by, now, running});
}

void DeliveryBatch::InsertDelivery(const Delivery& d, std::string outcome, std::string detail,
                                   int64_t detail_run) {
  rows_.deliveries.push_back(DeliveryRow{&d, std::move(outcome), std::move(detail), detail_run});
}

void DeliveryBatch::UpsertHead(const std::string& repo, int64_t pr, const PrHead& h) {
  // As the upsert leaves a row (kPrHeadsUpsert): so the row read, and the batch's upserts of
  // the PR folded into one that leaves any row as they would one by one.
  auto upsert = [&h](std::optional<PrHead>& row) {
    if (!row) {
      row = h;
      return;
    }
    row->updated_at_ms = std::max(row->updated_at_ms, h.updated_at_ms);
    if (!h.head_sha.empty()) row->head_sha = h.head_sha;
    row->state = h.state;
  };
  upsert(Head(repo, pr));
  upsert(head_rows_[PrKey(repo, pr)]);
}

void DeliveryBatch::KeepCheck(const Delivery& d, const Work& w, int64_t now) {
  bool run = w.kind == Work::Kind::kQueueRun;
  check_rows_.insert_or_assign(
      PrKey(run ? w.run.repo : w.cancel_repo, run ? w.run.pr : w.cancel_pr), CheckRow{&d, &w, now});
}

void DeliveryBatch::Seal() {
  if (rows_.runs.empty() && rows_.supersedes.empty() && rows_.deliveries.empty()) return;
  writes_.push_back([rows = std::move(rows_)](SqlDb& db, const DeliveryBatch& b) {
    return b.WriteRows(db, rows);
  });
  rows_ = Rows();
}

Status DeliveryBatch::WriteRows(SqlDb& db, const Rows& rows) const {
  auto n = [](int64_t v) { return std::to_string(v); };
  if (!rows.runs.empty()) {
    Columns c(12);
    for (const NewRunRow& x : rows.runs) {
      const RunRequest& q = *x.req;
      c.Add({q.repo, n(q.pr), q.head_sha, q.head_ref, q.base_ref, q.clone_url, q.title, q.author,
             q.trigger, x.d->id, n(x.now), n(Id(x.id))});
    }
    CCCI_RETURN_IF_ERROR(Send(
        db,
        "INSERT INTO runs (repo, pr, head_sha, head_ref, base_ref, clone_url, title, author, "
        "trigger, delivery_id, state, created_at, updated_at, id) "
        "SELECT repo, pr, head_sha, head_ref, base_ref, clone_url, title, author, trigger, "
        "delivery_id, 'queued', at, at, id FROM unnest(?1::text[], ?2::bigint[], ?3::text[], "
        "?4::text[], ?5::text[], ?6::text[], ?7::text[], ?8::text[], ?9::text[], ?10::text[], "
        "?11::bigint[], ?12::bigint[]) AS k (repo, pr, head_sha, head_ref, base_ref, clone_url, "
        "title, author, trigger, delivery_id, at, id)",
        c));
  }
  if (!rows.supersedes.empty()) {
    // One row per run: an UPDATE changes a row once however many of its FROM rows match, so
    // a run asked to stop by several pushes of the stretch takes the last one's, as one by
    // one. (A queued run is superseded once: it is not live after.)
    std::vector<SupersedeRow> last;
    std::map<int64_t, size_t> at;
    for (const SupersedeRow& r : rows.supersedes) {
      auto [it, first] = at.emplace(r.id, last.size());
      if (first) {
        last.push_back(r);
      } else {
        last[it->second] = r;
      }
    }
    Columns c(4);
    for (const SupersedeRow& x : last) {
      c.Add({n(Id(x.id)), n(Id(x.by)), n(x.now), x.running ? "t" : "f"});
    }
    // QueueRun's two statements in one: a run read as running (k.stop) is asked to stop
    // whatever its state; one read as queued or waiting is superseded if it still is, asked to
    // stop if a worker claimed it since (the UPDATE waits for the claim's commit and sees the
    // running row), and left alone if it ended meanwhile.
    CCCI_RETURN_IF_ERROR(Send(
        db,
        "UPDATE runs SET superseded_by = k.by, updated_at = k.at, "
        "cancel_requested = CASE WHEN k.stop OR runs.state = 'running' THEN 1 "
        "ELSE runs.cancel_requested END, "
        "finished_at = CASE WHEN k.stop OR runs.state = 'running' THEN runs.finished_at "
        "ELSE k.at END, "
        "reason = CASE WHEN k.stop OR runs.state = 'running' THEN runs.reason "
        "ELSE 'superseded by run ' || k.by END, "
        "state = CASE WHEN k.stop OR runs.state = 'running' THEN runs.state "
        "ELSE 'superseded' END "
        "FROM unnest(?1::bigint[], ?2::bigint[], ?3::bigint[], ?4::bool[]) AS k (id, by, at, stop) "
        "WHERE runs.id = k.id AND (k.stop OR runs.state IN ('queued', 'waiting', 'running'))",
        c));
  }
  if (!rows.deliveries.empty()) {
    Columns c(12);
    for (const DeliveryRow& x : rows.deliveries) {
      const Delivery& d = *x.d;
      c.Add({d.id, d.event, d.event_type, d.action, d.repo, n(d.pr), d.head_sha, d.sender,
             n(d.received_at_ms), x.outcome, x.detail_run ? "run " + n(Id(x.detail_run)) : x.detail,
             d.body_digest});
    }
    CCCI_RETURN_IF_ERROR(Send(
        db,
        "INSERT INTO deliveries (id, event, event_type, action, repo, pr, head_sha, sender, "
        "received_at, outcome, detail, body_digest) SELECT * FROM unnest(?1::text[], "
        "?2::text[], ?3::text[], ?4::text[], ?5::text[], ?6::bigint[], ?7::text[], ?8::text[], "
        "?9::bigint[], ?10::text[], ?11::text[], ?12::text[])",
        c));
  }
  return Status::Ok();
}

Status DeliveryBatch::WriteHeadsAndChecks(SqlDb& db) const {
  auto n = [](int64_t v) { return std::to_string(v); };
  if (!head_rows_.empty()) {
    Columns c(5);
    for (const auto& [key, h] : head_rows_) {
      c.Add({key.first, n(key.second), n(h->updated_at_ms), h->head_sha, h->state});
    }
    CCCI_RETURN_IF_ERROR(Send(db,
                              std::string("INSERT INTO pr_heads (repo, pr, updated_at, head_sha, "
                                          "state) SELECT * FROM unnest(?1::text[], ?2::bigint[], "
                                          "?3::bigint[], ?4::text[], ?5::text[]) ") +
                                  kPrHeadsUpsert,
                              c));
  }
  if (!check_rows_.empty()) {
    Columns c(14);
    for (const auto& [key, check] : check_rows_) {
      const Work& w = *check.w;
      const RunRequest& q = w.run;
      c.Add({key.first, n(key.second), check.d->id, n(check.now),
             w.kind == Work::Kind::kQueueRun ? "run" : "cancel", n(w.freshness->updated_at_ms),
             q.head_sha, q.head_ref, q.base_ref, q.clone_url, q.title, q.author, q.trigger,
             w.cancel_reason});
    }
    CCCI_RETURN_IF_ERROR(Send(
        db,
        std::string("INSERT INTO pr_checks (repo, pr, delivery_id, requested_at, kind, "
                    "updated_at, head_sha, head_ref, base_ref, clone_url, title, author, trigger, "
                    "cancel_reason) SELECT * FROM unnest(?1::text[], ?2::bigint[], ?3::text[], "
                    "?4::bigint[], ?5::text[], ?6::bigint[], ?7::text[], ?8::text[], ?9::text[], "
                    "?10::text[], ?11::text[], ?12::text[], ?13::text[], ?14::text[]) ") +
            kPrChecksUpsert,
        c));
  }
  return Status::Ok();
}

}  // namespace ccci
