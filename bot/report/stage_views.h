#pragma once
// Stage records as the renderer's values, for the run page and the PR comment alike, so both
// show a stage the same way and the level ladder is computed once, by renderer/level.h.

#include <cstdint>
#include <string>

#include "bot/store/store.h"
#include "renderer/stage.h"

namespace ccci {

// The stage as the renderer sees it. A status the renderer does not know is an error; a
// running stage's duration is the time since it started, as of `now_ms` (0: unknown).
render::StageResult ToStageResult(const StageRecord& record, int64_t now_ms = 0);

// The path of a stage's log page, /runs/{id}/logs/{stage} (the name percent-encoded); append
// ".txt" for the raw text and "/events" for the live stream.
std::string StageLogPath(int64_t run_id, const std::string& stage);

}  // namespace ccci
