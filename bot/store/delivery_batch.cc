#include "bot/store/delivery_batch.h"

#include <algorithm>

#include "bot/store/sql_rows.h"

namespace ccci {
namespace {

// Placeholders for new runs' ids: above any real id, in the order the runs were made, so
// "the newest live run" is the same whether its id is known yet or not.
constexpr int64_t kPlaceholder = int64_t{1} << 62;

// A PostgreSQL array literal of `items` ({"a","b"}), each quoted and escaped.
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

}  // namespace

Result<DeliveryBatch> DeliveryBatch::Load(SqlDb& db, const std::vector<DeliveryJob>& jobs) {
  DeliveryBatch b;
  std::vector<std::string> ids, bodies, repos;
  std::vector<int64_t> prs;
  for (const DeliveryJob& job : jobs) {
    ids.push_back(job.delivery->id);
    if (!job.delivery->body_sha256.empty()) bodies.push_back(job.delivery->body_sha256);
    const Work& w = *job.work;
    std::optional<PrKey> key;
    if (w.kind == Work::Kind::kQueueRun) key = PrKey(w.run.repo, w.run.pr);
    if (w.kind == Work::Kind::kCancel) key = PrKey(w.cancel_repo, w.cancel_pr);
    if (key && b.heads_.emplace(*key, std::nullopt).second) {
      b.live_[*key];
      repos.push_back(key->first);
      prs.push_back(key->second);
    }
  }
  // One statement, three kinds of rows: d (a delivery: id, body), h (a PR's newest head), r (a
  // live run). Each key is looked up by index in a subquery of its own: OFFSET 0 keeps the
  // planner from joining the keys to the whole table, which its plan for an empty table (the
  // plan is cached with the statement, made when the tables were small) would do with a
  // sequential scan, for good. ORDER BY state makes runs_by_pr (repo, pr, state) the index
  // for runs, which with no statistics yet ties with runs_by_repo (every run the repo had).
  auto s = db.Prepare(
      "SELECT 'd', x.id, x.body_sha256, 0, 0, '', '' FROM unnest(?1::text[]) AS k (id), "
      "LATERAL (SELECT id, body_sha256 FROM deliveries WHERE id = k.id OFFSET 0) x "
      "UNION ALL SELECT 'd', x.id, x.body_sha256, 0, 0, '', '' FROM unnest(?2::text[]) AS k (b), "
      "LATERAL (SELECT id, body_sha256 FROM deliveries WHERE body_sha256 = k.b "
      "AND body_sha256 != '' OFFSET 0) x "
      "UNION ALL SELECT 'h', x.repo, x.head_sha, x.pr, x.updated_at, x.state, '' "
      "FROM unnest(?3::text[], ?4::bigint[]) AS k (repo, pr), "
      "LATERAL (SELECT * FROM pr_heads WHERE repo = k.repo AND pr = k.pr OFFSET 0) x "
      "UNION ALL SELECT 'r', x.repo, x.head_sha, x.pr, x.id, x.state, x.trigger "
      "FROM unnest(?3::text[], ?4::bigint[]) AS k (repo, pr), "
      "LATERAL (SELECT repo, head_sha, pr, id, state, trigger FROM runs WHERE repo = k.repo "
      "AND pr = k.pr AND state IN ('queued', 'waiting', 'running') ORDER BY state OFFSET 0) x");
  if (!s.ok()) return s.status();
  (*s)->Bind(1, TextArray(ids)).Bind(2, TextArray(bodies)).Bind(3, TextArray(repos));
  (*s)->Bind(4, IntArray(prs));
  CCCI_RETURN_IF_ERROR(ForEachRow(**s, [&] {
    const SqlStmt& row = **s;
    std::string kind = row.Text(0), a = row.Text(1), text = row.Text(2);
    if (kind == "d") {
      b.ids_.insert(a);
      if (!text.empty()) b.bodies_.emplace(text, a);
    } else if (kind == "h") {
      b.heads_[PrKey(a, row.Int(3))] = PrHead{row.Int(4), text, row.Text(5)};
    } else {
      b.live_[PrKey(a, row.Int(3))].push_back(
          LiveRunRow{row.Int(4), row.Text(5) == "running", text, row.Text(6)});
    }
  }));
  for (auto& [key, runs] : b.live_) {
    std::sort(runs.begin(), runs.end(),
              [](const LiveRunRow& x, const LiveRunRow& y) { return x.id < y.id; });
  }
  return b;
}

std::string DeliveryBatch::Earlier(const Delivery& d) const {
  if (ids_.count(d.id)) return d.id;
  if (d.body_sha256.empty()) return "";
  auto it = bodies_.find(d.body_sha256);
  return it == bodies_.end() ? "" : it->second;
}

void DeliveryBatch::Recorded(const Delivery& d) {
  ids_.insert(d.id);
  if (!d.body_sha256.empty()) bodies_.emplace(d.body_sha256, d.id);
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
  if (new_runs_ > 0) {
    auto s = db.Prepare(
        "SELECT nextval(pg_get_serial_sequence('runs', 'id')) FROM generate_series(1, ?1)");
    if (!s.ok()) return s.status();
    (*s)->Bind(1, new_runs_);
    auto taken = CollectRows<int64_t>(**s, [](const SqlStmt& row) { return row.Int(0); });
    if (!taken.ok()) return taken.status();
    if (static_cast<int64_t>(taken->size()) != new_runs_) {
      return Internal("the runs' sequence gave too few ids");
    }
    ids_taken_ = std::move(*taken);
    std::sort(ids_taken_.begin(), ids_taken_.end());  // in the order the runs were made
  }
  for (const Write& w : writes_) CCCI_RETURN_IF_ERROR(w(db, *this));
  for (const DeliveryJob& job : jobs) {
    RecordOutcome& out = *job.out;
    out.run_id = Id(out.run_id);
    for (auto* ids : {&out.superseded, &out.cancel_requested, &out.cancelled}) {
      for (int64_t& id : *ids) id = Id(id);
    }
  }
  return Status::Ok();
}

}  // namespace ccci
