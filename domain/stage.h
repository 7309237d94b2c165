#pragma once
// A stage's outcome in cc-ci's own words: plain values the runner produces, the ladder
// (level.h) ranks, and the renderer draws (filled by the bot from its store or by the
// renderer's CLI from a results JSON file). The renderer never sees the bot's own types.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ccci::domain {

// kFlaky: failed, then passed on its one retry (default-branch runs only); counts as a pass.
enum class StageStatus { kPass, kFail, kSkip, kUnverified, kError, kPending, kRunning, kFlaky };

const char* StageStatusName(StageStatus s);  // "pass", "fail", ..., "flaky"
// Parses the names above; false for anything else.
bool ParseStageStatus(const std::string& name, StageStatus* out);

struct StageResult {
  std::string name;  // install, upgrade, backup, restore, functional, lint, screenshot, teardown
  StageStatus status = StageStatus::kPending;
  std::string reason;       // why it failed or was skipped
  bool intentional = true;  // a skip that is structural or declared (not "install failed")
  int64_t duration_ms = 0;
  int exit_code = 0;
};

}  // namespace ccci::domain
