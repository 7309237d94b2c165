#pragma once
// The level of a run from its stage records (the ladder itself is renderer/level.h).

#include <vector>

#include "bot/store/store.h"
#include "renderer/level.h"

namespace ccci::runner {

// Skips are intentional: the suite records `skip` only for structural or declared reasons,
// and `unverified` when an earlier failure kept a stage from being checked.
std::vector<render::StageResult> ToRenderStages(const std::vector<StageRecord>& stages);
render::LevelResult LevelOf(const std::vector<StageRecord>& stages);

}  // namespace ccci::runner
