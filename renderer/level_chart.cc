#include "renderer/level_chart.h"

#include <algorithm>
#include <cmath>

#include "domain/level.h"
#include "renderer/badge.h"
#include "renderer/sparkline.h"
#include "renderer/svg_number.h"

namespace ccci::render {
namespace {

constexpr double kWidth = 640, kHeight = 262;
constexpr double kLeft = 44, kRight = 628, kTop = 40, kBottom = 200, kErrorLane = 222;
constexpr double kRunLabels = 250;    // baseline of the run ids
constexpr double kMinLabelGap = 56;   // px between run ids
constexpr const char* kErrorColor = "#9f9f9f";
constexpr const char* kLineColor = "#8c959f";
constexpr const char* kInk = "#57606a";

std::string Text(double x, double y, const std::string& anchor, const std::string& text,
                 const std::string& extra = "") {
  return "<text x=\"" + SvgNumber(x) + "\" y=\"" + SvgNumber(y) + "\" text-anchor=\"" + anchor + "\"" +
         extra + ">" + text + "</text>";
}

// A default-branch run's mark (a circle) or a PR run's (a diamond); run_id 0: the legend's.
std::string Shape(const ChartMark& m, bool filled, const std::string& extra) {
  std::string run = m.run_id > 0 ? "data-run=\"" + std::to_string(m.run_id) + "\" " : "";
  if (!m.pr) {
    return "<circle " + run + "cx=\"" + SvgNumber(m.x) + "\" cy=\"" + SvgNumber(m.y) +
           "\" r=\"" + SvgNumber(m.r) + "\" fill=\"" + (filled ? m.color : "#fff") +
           "\" stroke=\"" + (filled ? "#fff" : m.color) + "\" stroke-width=\"" +
           (filled ? "1" : "2") + "\"" + extra;
  }
  double d = m.r * 1.25;
  return "<path " + run + "d=\"M" + SvgNumber(m.x) + " " + SvgNumber(m.y - d) + "L" +
         SvgNumber(m.x + d) + " " + SvgNumber(m.y) + "L" + SvgNumber(m.x) + " " + SvgNumber(m.y + d) + "L" +
         SvgNumber(m.x - d) + " " + SvgNumber(m.y) + "Z\" fill=\"#fff\" stroke=\"" + m.color +
         "\" stroke-width=\"2\"" + extra;
}

}  // namespace

ChartLayout LayoutLevelChart(const std::vector<ChartRun>& all) {
  ChartLayout l;
  l.width = kWidth;
  l.height = kHeight;
  l.left = kLeft;
  l.right = kRight;
  l.top = kTop;
  l.bottom = kBottom;
  l.error_y = kErrorLane;
  for (int level = 0; level <= domain::kMaxLevel; ++level) {
    l.level_ticks.push_back(
        {kBottom - level * (kBottom - kTop) / domain::kMaxLevel, std::to_string(level)});
  }
  size_t skip = all.size() > static_cast<size_t>(kChartMaxRuns) ? all.size() - kChartMaxRuns : 0;
  std::vector<ChartRun> runs(all.begin() + static_cast<std::ptrdiff_t>(skip), all.end());
  if (runs.empty()) return l;
  const double spacing = (kRight - kLeft) / static_cast<double>(runs.size());
  const double r = std::clamp(spacing * 0.35, 2.5, 6.0);
  std::vector<std::pair<double, double>> segment;
  auto end_segment = [&] {
    if (segment.size() >= 2) l.branch_lines.push_back(segment);
    segment.clear();
  };
  for (size_t i = 0; i < runs.size(); ++i) {
    const ChartRun& run = runs[i];
    ChartMark m;
    m.run_id = run.id;
    m.pr = run.pr > 0;
    m.error = !run.level;
    m.x = kLeft + spacing * (static_cast<double>(i) + 0.5);
    m.r = r;
    if (run.level) {
      int level = std::clamp(*run.level, 0, domain::kMaxLevel);
      m.y = kBottom - level * (kBottom - kTop) / domain::kMaxLevel;
      m.color = domain::LevelColor(level);
    } else {
      m.y = kErrorLane;
      m.color = kErrorColor;
    }
    if (!m.pr) {
      if (m.error) {
        end_segment();
      } else {
        segment.push_back({m.x, m.y});
      }
    }
    l.marks.push_back(m);
  }
  end_segment();
  const size_t step = static_cast<size_t>(std::max(1.0, std::ceil(kMinLabelGap / spacing)));
  for (size_t back = 0; back < runs.size(); back += step) {
    size_t i = runs.size() - 1 - back;
    l.run_ticks.insert(l.run_ticks.begin(), {l.marks[i].x, "#" + std::to_string(runs[i].id)});
  }
  return l;
}

std::string RenderLevelChartSvg(const std::vector<ChartRun>& runs,
                                const std::string& run_path_prefix) {
  ChartLayout l = LayoutLevelChart(runs);
  std::string svg = "<svg class=\"level-chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
                    SvgNumber(l.width) + " " + SvgNumber(l.height) + "\" width=\"" + SvgNumber(l.width) +
                    "\" height=\"" + SvgNumber(l.height) +
                    "\" role=\"img\" aria-labelledby=\"level-chart-title\">";
  svg += "<title id=\"level-chart-title\">Levels of the last " + std::to_string(l.marks.size()) +
         " runs, oldest first</title>";
  svg += "<g font-family=\"DejaVu Sans,Verdana,Geneva,sans-serif\" font-size=\"12\" fill=\"" +
         std::string(kInk) + "\">";
  for (const ChartTick& t : l.level_ticks) {
    svg += "<line x1=\"" + SvgNumber(l.left) + "\" x2=\"" + SvgNumber(l.right) + "\" y1=\"" + SvgNumber(t.pos) +
           "\" y2=\"" + SvgNumber(t.pos) + "\" stroke=\"#eaeef2\"/>";
    svg += Text(l.left - 8, t.pos + 4, "end", t.text);
  }
  svg += Text(l.left - 8, l.error_y + 4, "end", "err");
  svg += Text(14, (l.top + l.bottom) / 2, "middle", "level",
              " transform=\"rotate(-90 14 " + SvgNumber((l.top + l.bottom) / 2) + ")\"");
  for (const ChartTick& t : l.run_ticks) {
    svg += "<line x1=\"" + SvgNumber(t.pos) + "\" x2=\"" + SvgNumber(t.pos) + "\" y1=\"" +
           SvgNumber(l.error_y + 10) + "\" y2=\"" + SvgNumber(l.error_y + 14) + "\" stroke=\"" + kInk + "\"/>";
    svg += Text(t.pos, kRunLabels, "middle", t.text);
  }
  // The legend: what the shapes mean.
  ChartMark branch{0, false, false, l.left + 6, 16, 5, kInk};
  ChartMark pr{0, true, false, l.left + 130, 16, 5, kInk};
  svg += Shape(branch, true, "/>") + Text(branch.x + 10, 20, "start", "default branch");
  svg += Shape(pr, false, "/>") + Text(pr.x + 10, 20, "start", "pull request");
  svg += Text(l.right, 20, "end", "err: CI error · newest on the right");
  if (l.marks.empty()) {
    svg += Text((l.left + l.right) / 2, (l.top + l.bottom) / 2, "middle", "no finished runs yet");
  }
  svg += "</g>";
  for (const auto& line : l.branch_lines) {
    std::string points;
    for (const auto& [x, y] : line) points += (points.empty() ? "" : " ") + SvgNumber(x) + "," + SvgNumber(y);
    svg += "<polyline points=\"" + points + "\" fill=\"none\" stroke=\"" + kLineColor +
           "\" stroke-width=\"1.5\"/>";
  }
  size_t skip = runs.size() - l.marks.size();
  for (size_t i = 0; i < l.marks.size(); ++i) {
    const ChartMark& m = l.marks[i];
    std::string id = std::to_string(m.run_id);
    svg += "<a href=\"" + XmlEscape(run_path_prefix) + id + "\">" +
           Shape(m, !m.pr, "><title>" + XmlEscape(runs[skip + i].label) + "</title>") +
           (m.pr ? "</path>" : "</circle>") + "</a>";
  }
  return svg + "</svg>";
}

}  // namespace ccci::render
