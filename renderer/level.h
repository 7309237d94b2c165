#pragma once
// The level of a run (YunoHost-style ladder, DESIGN.md "Level"): rungs 1 install, 2 upgrade,
// 3 backup+restore, 4 functional, 5 lint. Level = the highest L such that every rung 1..L is
// pass or intentional skip, and rung 1 passed. Install failed -> 0. A run that cc-ci itself
// broke (install ended in error) is CI error: no level at all.

#include <array>
#include <string>
#include <vector>

#include "renderer/stage.h"

namespace ccci::render {

struct RungOutcome {
  int rung = 0;            // 1..5
  const char* name = "";   // install, upgrade, backup+restore, functional, lint
  StageStatus status = StageStatus::kPending;  // combined status of the rung's stages
  std::string reason;      // of the first stage that decided the status
  bool present = false;    // false when no stage of the rung was recorded
  bool counted = false;    // part of the level (a pass above a broken rung is shown, not counted)
};

struct LevelResult {
  bool ci_error = false;  // no level: cc-ci broke, not the recipe
  int level = 0;          // 0..5, meaningful when !ci_error
  std::array<RungOutcome, 5> rungs;
};

// Pure. Stages not on the ladder (screenshot, teardown, unknown names) are ignored.
LevelResult ComputeLevel(const std::vector<StageResult>& stages);

// The rung a stage belongs to, 0 if none.
int RungOfStage(const std::string& stage_name);

}  // namespace ccci::render
