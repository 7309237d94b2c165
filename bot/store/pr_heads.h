#pragma once
// Inside the SQL store's delivery transaction: whether a pull_request delivery is news or an
// older payload (a replay, or out of order), by the PR's newest recorded updated_at
// (migrations/009_replays.sql; store.h PrFreshness).

#include <string>

#include "base/status.h"
#include "bot/store/delivery_batch.h"
#include "bot/store/sql_db.h"
#include "bot/store/store.h"

namespace ccci {

// The ON CONFLICT clauses of the pr_heads and pr_checks upserts (one row, or a batch's rows in
// one statement): a head's updated_at only grows and an empty head_sha keeps the row's; a check
// replaces the PR's earlier one.
inline constexpr const char* kPrHeadsUpsert =
    "ON CONFLICT (repo, pr) DO UPDATE SET updated_at = CASE WHEN excluded.updated_at > "
    "pr_heads.updated_at THEN excluded.updated_at ELSE pr_heads.updated_at END, "
    "head_sha = CASE WHEN excluded.head_sha = '' THEN pr_heads.head_sha "
    "ELSE excluded.head_sha END, "
    "state = excluded.state";
inline constexpr const char* kPrChecksUpsert =
    "ON CONFLICT (repo, pr) DO UPDATE SET delivery_id = excluded.delivery_id, "
    "requested_at = excluded.requested_at, kind = excluded.kind, "
    "updated_at = excluded.updated_at, head_sha = excluded.head_sha, "
    "head_ref = excluded.head_ref, base_ref = excluded.base_ref, "
    "clone_url = excluded.clone_url, title = excluded.title, author = excluded.author, "
    "trigger = excluded.trigger, cancel_reason = excluded.cancel_reason";

// True when `work` may be applied: it is not a pull_request delivery's, or it is newer than
// the PR's newest (which it then becomes), or as new and saying the same, or verified, or in
// doubt with no forge to ask. False, with `*outcome` ("stale" or "check") and `out` set, when
// it is older (stale), or as new but saying otherwise and kept for a check with Gitea.
// With `batch` the PR's newest is read from it and kept up to date in it (its writes are
// deferred either way).
Result<bool> FreshEnough(SqlDb& db, const Delivery& d, const Work& work, int64_t now,
                         RecordOutcome* out, std::string* outcome, DeliveryBatch* batch = nullptr);

}  // namespace ccci
