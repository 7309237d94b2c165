#pragma once
// The recipe page's level chart: an SVG drawn on the server, inline in the page, with no
// script and no style attribute (the page's CSP allows neither; everything is a presentation
// attribute). x: the runs in order, oldest left, a few labelled by id; y: the level, 0..8 with
// labelled ticks, and a lane under 0 for CI errors. One mark per run, carrying
// data-run="<id>", linked to the run's page, with its result as a tooltip: default-branch
// runs are filled circles joined by a line (broken where a run was a CI error), PR runs
// hollow diamonds, so the two read apart at a glance. The layout is computed apart from the
// SVG so tests check it as numbers.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/routes.h"

namespace ccci::render {

inline constexpr int kChartMaxRuns = 100;  // the newest ones are drawn

struct ChartRun {
  int64_t id = 0;
  int64_t pr = 0;            // 0: a default-branch run
  std::optional<int> level;  // nullopt: a CI error
  std::string label;         // the mark's tooltip, e.g. "#12 PR #3: level 4" (escaped when drawn)
};

struct ChartMark {
  int64_t run_id = 0;
  bool pr = false;
  bool error = false;
  double x = 0, y = 0, r = 0;  // centre and size (a diamond's half diagonal is r * 1.25)
  std::string color;
};

struct ChartTick {
  double pos = 0;  // y for level ticks, x for run ticks
  std::string text;
};

struct ChartLayout {
  double width = 0, height = 0;
  double left = 0, right = 0;  // the plot's horizontal extent
  double top = 0;              // y of level 8
  double bottom = 0;           // y of level 0
  double error_y = 0;          // the CI-error lane
  std::vector<ChartTick> level_ticks;  // 0..8, bottom up
  std::vector<ChartTick> run_ticks;    // a few run ids, never crowded
  std::vector<ChartMark> marks;        // oldest first
  // The default branch's levels joined in run order; a CI error ends a segment.
  std::vector<std::vector<std::pair<double, double>>> branch_lines;
};

// `runs` oldest first; only the newest kChartMaxRuns are laid out.
ChartLayout LayoutLevelChart(const std::vector<ChartRun>& runs);

// The chart as an <svg> element for the page; each mark links to `run_path_prefix` + id.
std::string RenderLevelChartSvg(const std::vector<ChartRun>& runs,
                                const std::string& run_path_prefix = std::string(routes::kRuns));

}  // namespace ccci::render
