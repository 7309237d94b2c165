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

// True when `work` may be applied: it is not a pull_request delivery's, or it is newer than
// the PR's newest (which it then becomes), or as new and saying the same, or verified, or in
// doubt with no forge to ask. False, with `*outcome` ("stale" or "check") and `out` set, when
// it is older (stale), or as new but saying otherwise and kept for a check with Gitea.
// With `batch` the PR's newest is read from it and kept up to date in it (its writes are
// deferred either way).
Result<bool> FreshEnough(SqlDb& db, const Delivery& d, const Work& work, int64_t now,
                         RecordOutcome* out, std::string* outcome, DeliveryBatch* batch = nullptr);

}  // namespace ccci
