#pragma once
// domain/: the rules of cc-ci's world that the runner, the reporter and the renderer share,
// with no I/O (domain/CMakeLists.txt).
//
// The level of a run (YunoHost-style ladder, DESIGN.md "Level"): rungs 1 install, 2 upgrade,
// 3 backup+restore, 4 functional, 5 lint, 6 upgrade-safe, 7 clean, 8 maintained. Level = the
// highest L such that every rung 1..L is pass or intentional skip, and rung 1 passed. Install
// failed -> 0. A run that cc-ci itself broke (install ended in error) is CI error: no level at
// all. A rung with no stage recorded (an older run, or a suite without the rung) ends the
// ladder below it.

#include <array>
#include <string>
#include <vector>

#include "domain/stage.h"

namespace ccci::domain {

inline constexpr int kRungCount = 8;
inline constexpr int kMaxLevel = kRungCount;

struct RungOutcome {
  int rung = 0;           // 1..kRungCount
  const char* name = "";  // install, upgrade, backup+restore, functional, lint, upgrade-safe,
                          // clean, maintained
  StageStatus status = StageStatus::kPending;  // combined status of the rung's stages
  std::string reason;                          // of the first stage that decided the status
  bool present = false;                        // false when no stage of the rung was recorded
  bool counted = false;  // part of the level (a pass above a broken rung is shown, not counted)
};

struct LevelResult {
  bool ci_error = false;  // no level: cc-ci broke, not the recipe
  int level = 0;          // 0..kMaxLevel, meaningful when !ci_error
  std::array<RungOutcome, kRungCount> rungs;
};

// Pure. Stages not on the ladder (screenshot, teardown, unknown names) are ignored.
LevelResult ComputeLevel(const std::vector<StageResult>& stages);

// The rung a stage belongs to, 0 if none.
int RungOfStage(const std::string& stage_name);

// The colour of a level (DESIGN.md): L0 #e05d44, L1 #fe7d37, L2 #dfb317, L3 #a4a61d,
// L4 #97ca00, L5 #44cc11, L6 #2ea043, L7 #238636, L8 #196c2e; anything else grey #9f9f9f.
// Lower-case #rrggbb.
std::string LevelColor(int level);

}  // namespace ccci::domain
