#pragma once
// A recipe's level history as a sparkline: its last default-branch runs, oldest left, one bar
// per run on the fixed 0..8 level scale in its level's colour. A CI error is a gap (nothing
// over the baseline); the run the picture is for is marked by a triangle under its bar, and a
// run that is not one of the default branch's ended runs (a PR's, or one still running) gets a
// slot of its own at the right. Drawn under the level block of the summary card and as the
// standalone history badge (/badge/{owner}/{repo}/history.svg). The layout is computed once,
// so the two agree and tests check it without pixels.

#include <cairo.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/level.h"

namespace ccci::render {

inline constexpr int kSparklineSlots =
    30;  // default-branch runs shown (domain::kMaxLevel: the scale's top)

struct HistoryPoint {
  int64_t run_id = 0;
  std::optional<int> level;  // nullopt: a CI error (a gap), or not finished
  bool pending = false;      // not finished yet: a short bar in the active colour
  bool current = false;      // the run the picture is for: marked
  bool apart = false;        // not a default-branch run: its own slot after the others
};

struct SparkBar {
  int64_t run_id = 0;
  double x = 0, y = 0, w = 0, h = 0;  // h == 0 for a gap
  std::string color;                  // "" for a gap
  bool current = false;
};

struct SparklineLayout {
  double top = 0;                     // y of level 8
  double baseline = 0;                // y of the bars' foot
  double base_x0 = 0, base_x1 = 0;    // the baseline, drawn under the default branch's runs
  std::vector<SparkBar> bars;         // oldest first, one per point shown
  double separator_x = 0;             // > 0: a line between the branch and the apart slot
  bool marked = false;                // a marker under the current run's bar:
  double marker_x = 0, marker_y = 0;  // its tip
  double marker_size = 0;             // its height (and half its width)
};

// Lays out `points` (oldest first; the newest kSparklineSlots default-branch points and one
// apart point are shown) in the box (x, y, w, h): bars in the upper part, the marker below.
// Slots have a fixed width, so a short history is drawn at the right end of the box.
SparklineLayout LayoutSparkline(const std::vector<HistoryPoint>& points, double x, double y,
                                double w, double h);

// Draws a layout with Cairo (the card).
void DrawSparkline(cairo_t* cr, const SparklineLayout& layout);

// The standalone history badge: 20 px high like the badges beside it in a README, a grey
// label ("cc-ci history") and the sparkline on a light panel; `repo` names it for screen
// readers. No run is marked.
std::string RenderHistorySvg(const std::vector<HistoryPoint>& points, const std::string& repo);

}  // namespace ccci::render
