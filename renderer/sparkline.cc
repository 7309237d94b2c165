#include "renderer/sparkline.h"

#include <algorithm>
#include <cmath>

#include "domain/level.h"
#include "renderer/badge.h"
#include "renderer/cairo_color.h"
#include "renderer/font.h"
#include "renderer/svg_number.h"

namespace ccci::render {
namespace {

constexpr double kApartGap = 0.5;  // slots of space before an apart point
constexpr const char* kBaselineColor = "#8c959f";
constexpr const char* kMarkerColor = "#24292f";

}  // namespace

SparklineLayout LayoutSparkline(const std::vector<HistoryPoint>& points, double x, double y,
                                double w, double h) {
  std::vector<HistoryPoint> branch;
  std::optional<HistoryPoint> apart;
  for (const HistoryPoint& p : points) {
    if (p.apart) {
      apart = p;
    } else {
      branch.push_back(p);
    }
  }
  if (branch.size() > static_cast<size_t>(kSparklineSlots)) {
    branch.erase(branch.begin(), branch.end() - kSparklineSlots);
  }
  bool marked = std::any_of(branch.begin(), branch.end(),
                            [](const HistoryPoint& p) { return p.current; }) ||
                (apart && apart->current);

  SparklineLayout out;
  out.top = y;
  const double slot = w / (kSparklineSlots + (apart ? 1 + kApartGap : 0));
  const double bar_w = std::max(1.0, slot * 0.72);
  out.marker_size = marked ? h * 0.2 : 0;
  out.baseline = y + h - (marked ? out.marker_size + h * 0.06 : 0);
  const double area = out.baseline - y;
  const double stub = std::max(1.5, area * 0.08);  // level 0 is a stub, not nothing

  auto place = [&](const HistoryPoint& p, double slot_index) {
    SparkBar b;
    b.run_id = p.run_id;
    b.current = p.current;
    b.w = bar_w;
    b.x = x + slot_index * slot + (slot - bar_w) / 2;
    if (p.level) {
      int level = std::clamp(*p.level, 0, domain::kMaxLevel);
      b.h = stub + (area - stub) * level / domain::kMaxLevel;
      b.color = domain::LevelColor(level);
    } else if (p.pending) {
      b.h = stub * 2;
      b.color = kColorActive;
    }
    b.y = out.baseline - b.h;
    if (p.current) {
      out.marked = true;
      out.marker_x = b.x + bar_w / 2;
      out.marker_y = out.baseline + h * 0.06;
    }
    out.bars.push_back(b);
  };
  const size_t first_slot = kSparklineSlots - branch.size();
  for (size_t i = 0; i < branch.size(); ++i) place(branch[i], static_cast<double>(first_slot + i));
  if (apart) {
    place(*apart, kSparklineSlots + kApartGap);
    out.separator_x = x + (kSparklineSlots + kApartGap / 2) * slot;
  }
  out.base_x0 = x + first_slot * slot;
  out.base_x1 = x + kSparklineSlots * slot;
  return out;
}

void DrawSparkline(cairo_t* cr, const SparklineLayout& l) {
  if (l.base_x1 > l.base_x0) {
    SetColor(cr, kBaselineColor);
    double lw = std::max(1.0, l.marker_size * 0.2);
    cairo_rectangle(cr, l.base_x0, l.baseline, l.base_x1 - l.base_x0, lw);
    cairo_fill(cr);
  }
  for (const SparkBar& b : l.bars) {
    if (b.h <= 0) continue;
    SetColor(cr, b.color);
    cairo_rectangle(cr, b.x, b.y, b.w, b.h);
    cairo_fill(cr);
  }
  if (l.separator_x > 0) {
    SetColor(cr, kBaselineColor);
    cairo_rectangle(cr, l.separator_x - 0.75, l.top, 1.5, l.baseline - l.top);
    cairo_fill(cr);
  }
  if (l.marked) {
    SetColor(cr, kMarkerColor);
    cairo_move_to(cr, l.marker_x, l.marker_y);
    cairo_line_to(cr, l.marker_x + l.marker_size * 0.8, l.marker_y + l.marker_size);
    cairo_line_to(cr, l.marker_x - l.marker_size * 0.8, l.marker_y + l.marker_size);
    cairo_close_path(cr);
    cairo_fill(cr);
  }
}

std::string RenderHistorySvg(const std::vector<HistoryPoint>& points, const std::string& repo) {
  const std::string label = "cc-ci history";
  const double text_w = FontMetrics::Get(FontFace::kRegular).TextWidth(label, 11);
  const int label_w = static_cast<int>(std::lround(text_w)) + 10;
  const int chart_w = kSparklineSlots * 4 + 8;
  const int width = label_w + chart_w;
  std::vector<HistoryPoint> unmarked = points;
  std::string levels;
  for (HistoryPoint& p : unmarked) {
    p.current = false;
    std::string one = p.level ? std::to_string(*p.level) : p.pending ? "running" : "CI error";
    levels += (levels.empty() ? "" : ", ") + one;
  }
  SparklineLayout l = LayoutSparkline(unmarked, label_w + 4, 3, chart_w - 8, 14);
  std::string title = "cc-ci level history of " + XmlEscape(repo) + ": " +
                      (levels.empty() ? "no runs yet" : levels + " (oldest first)");
  std::string w = std::to_string(width), lw = std::to_string(label_w);
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + w +
                    "\" height=\"20\" role=\"img\" aria-label=\"" + title + "\"><title>" + title +
                    "</title>";
  svg += "<clipPath id=\"r\"><rect width=\"" + w + "\" height=\"20\" rx=\"3\" fill=\"#fff\"/>"
         "</clipPath><g clip-path=\"url(#r)\"><rect width=\"" + lw +
         "\" height=\"20\" fill=\"#555\"/><rect x=\"" + lw + "\" width=\"" +
         std::to_string(chart_w) + "\" height=\"20\" fill=\"#f6f8fa\"/></g>";
  svg += "<text x=\"" + SvgNumber(label_w / 2.0) + "\" y=\"14\" fill=\"#fff\" text-anchor=\"middle\" "
         "font-family=\"DejaVu Sans,Verdana,Geneva,sans-serif\" font-size=\"11\" textLength=\"" +
         SvgNumber(text_w) + "\">" + label + "</text>";
  if (l.base_x1 > l.base_x0) {
    svg += "<rect x=\"" + SvgNumber(l.base_x0) + "\" y=\"" + SvgNumber(l.baseline) + "\" width=\"" +
           SvgNumber(l.base_x1 - l.base_x0) + "\" height=\"1\" fill=\"" + kBaselineColor + "\"/>";
  }
  for (const SparkBar& b : l.bars) {
    if (b.h <= 0) continue;
    svg += "<rect x=\"" + SvgNumber(b.x) + "\" y=\"" + SvgNumber(b.y) + "\" width=\"" + SvgNumber(b.w) +
           "\" height=\"" + SvgNumber(b.h) + "\" fill=\"" + b.color + "\"/>";
  }
  return svg + "</svg>";
}

}  // namespace ccci::render
