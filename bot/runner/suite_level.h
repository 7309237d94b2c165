#pragma once
// Stage records as the renderer's values, and the level of a run from them (the ladder itself
// is domain/level.h). Used by the scheduler, the run page, the card and the PR comment alike,
// so a stage is shown one way and the level is computed once.

#include <cstdint>
#include <vector>

#include "bot/store/records.h"
#include "domain/level.h"

namespace ccci {

// The stage as the renderer sees it. A status the renderer does not know is an error; a
// running stage's duration is the time since it started, as of `now_ms` (0: unknown). Skips
// are intentional: the suite records `skip` only for structural or declared reasons, and
// `unverified` when an earlier failure kept a stage from being checked.
domain::StageResult ToStageResult(const StageRecord& record, int64_t now_ms = 0);

namespace runner {
domain::LevelResult LevelOf(const std::vector<StageRecord>& stages);
}  // namespace runner

}  // namespace ccci
