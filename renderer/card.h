#pragma once
// The summary card: a 1200x630 PNG (the size link previews use) showing a run at a glance:
// recipe, PR and short sha, the level as a big coloured badge, each stage with an icon and
// its duration, the level change against the target branch, and a screenshot thumbnail.
// A run that is not finished yet gets a valid card that says so.

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "domain/stage.h"
#include "renderer/sparkline.h"

namespace ccci::render {

struct RunSummary {
  std::string recipe;     // e.g. nextcloud
  std::string repo;       // owner/name
  int64_t pr = 0;         // 0: a branch run
  std::string short_sha;  // 7+ chars
  std::string state;      // queued | waiting | running | finished | error | cancelled
  std::vector<domain::StageResult> stages;
  std::optional<int> level;  // when set, shown instead of the level computed from the stages
  std::optional<int> previous_level;  // the target branch's latest level, if known
  std::string screenshot_png;         // PNG bytes, empty when there is none
  // The default branch's level history up to this run, oldest first, this run marked
  // (renderer/sparkline.h); drawn under the level block unless empty.
  std::vector<HistoryPoint> history;
};

inline constexpr int kCardWidth = 1200;
inline constexpr int kCardHeight = 630;
// Where the level history sparkline sits: under the level block and its rung strip.
inline constexpr double kCardHistoryX = 860, kCardHistoryY = 392, kCardHistoryW = 292,
                        kCardHistoryH = 54;

Result<std::string> RenderCardPng(const RunSummary& run);

// Reads a results JSON file's text:
// {"recipe": "...", "repo": "o/r", "pr": 17, "sha": "...", "state": "finished",
//  "previous_level": 3, "screenshot": "path/to.png" (optional, relative to base_dir),
//  "stages": [{"name": "install", "status": "pass", "reason": "", "duration_ms": 1234,
//              "intentional": true}, ...]}
Result<RunSummary> ParseRunJson(const std::string& json, const std::string& base_dir);

// "1.2 s", "3 min 4 s", "1 h 2 min".
std::string FormatDuration(int64_t ms);

}  // namespace ccci::render
