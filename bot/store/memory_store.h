#pragma once
// The in-memory Store: every slice (store.h), nothing persisted. It is what
// `storage.driver = memory` runs (benchmarks) and the fake tests hand a component in place of
// whichever slice it takes. It is the SQL store over SQLite's ":memory:", not a second
// implementation: a hand-written fake of the delivery rules (coalescing, supersede, replays,
// approvals, outbox lanes) would be a second copy of them that drifts from the real one.
// Opening one costs well under a millisecond.

#include <memory>

#include "base/clock.h"
#include "base/status.h"
#include "bot/store/sql_store.h"

namespace ccci {

Result<std::unique_ptr<SqlStore>> OpenMemoryStore(Clock* clock = RealClock());

}  // namespace ccci
