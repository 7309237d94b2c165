#include "renderer/card.h"

#include <cairo.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "domain/level.h"
#include "renderer/badge.h"
#include "renderer/cairo_color.h"
#include "renderer/font.h"
#include "renderer/png_writer.h"
#include "renderer/status_look.h"
#include "renderer/text_painter.h"

namespace ccci::render {
namespace {

void RoundedRect(cairo_t* cr, double x, double y, double w, double h, double r) {
  cairo_new_sub_path(cr);
  cairo_arc(cr, x + w - r, y + r, r, -M_PI / 2, 0);
  cairo_arc(cr, x + w - r, y + h - r, r, 0, M_PI / 2);
  cairo_arc(cr, x + r, y + h - r, r, M_PI / 2, M_PI);
  cairo_arc(cr, x + r, y + r, r, M_PI, 3 * M_PI / 2);
  cairo_close_path(cr);
}

// Shortens `text` with an ellipsis until it fits in `max_w` pixels at `px`.
std::string Fit(const std::string& text, FontFace face, double px, double max_w) {
  const FontMetrics& m = FontMetrics::Get(face);
  if (m.TextWidth(text, px) <= max_w) return text;
  std::vector<size_t> starts;  // code point boundaries
  for (size_t i = 0; i < text.size();) {
    starts.push_back(i);
    NextCodepoint(text, &i);
  }
  for (size_t n = starts.size(); n > 0; --n) {
    std::string t = text.substr(0, starts[n - 1]) + "…";
    if (m.TextWidth(t, px) <= max_w) return t;
  }
  return "…";
}

// A filled circle of radius r at (cx, cy) with a white symbol for the status.
void DrawIcon(cairo_t* cr, domain::StageStatus s, double cx, double cy, double r) {
  SetColor(cr, StatusColor(s));
  cairo_arc(cr, cx, cy, r, 0, 2 * M_PI);
  cairo_fill(cr);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_set_line_width(cr, std::max(1.5, r * 0.22));
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  double k = r * 0.45;
  switch (s) {
    case domain::StageStatus::kPass:
      cairo_move_to(cr, cx - k, cy);
      cairo_line_to(cr, cx - k * 0.25, cy + k * 0.75);
      cairo_line_to(cr, cx + k, cy - k * 0.7);
      cairo_stroke(cr);
      break;
    case domain::StageStatus::kFail:
      cairo_move_to(cr, cx - k, cy - k);
      cairo_line_to(cr, cx + k, cy + k);
      cairo_move_to(cr, cx + k, cy - k);
      cairo_line_to(cr, cx - k, cy + k);
      cairo_stroke(cr);
      break;
    case domain::StageStatus::kSkip:
    case domain::StageStatus::kPending:
      cairo_move_to(cr, cx - k, cy);
      cairo_line_to(cr, cx + k, cy);
      cairo_stroke(cr);
      break;
    case domain::StageStatus::kUnverified:  // a question mark: hook and dot
      cairo_arc(cr, cx, cy - k * 0.35, k * 0.55, M_PI, 2.2 * M_PI);
      cairo_line_to(cr, cx, cy + k * 0.3);
      cairo_stroke(cr);
      cairo_arc(cr, cx, cy + k * 0.85, r * 0.1, 0, 2 * M_PI);
      cairo_fill(cr);
      break;
    case domain::StageStatus::kError:  // an exclamation mark
      cairo_move_to(cr, cx, cy - k);
      cairo_line_to(cr, cx, cy + k * 0.3);
      cairo_stroke(cr);
      cairo_arc(cr, cx, cy + k * 0.85, r * 0.1, 0, 2 * M_PI);
      cairo_fill(cr);
      break;
    case domain::StageStatus::kRunning:  // a dot
      cairo_arc(cr, cx, cy, k * 0.5, 0, 2 * M_PI);
      cairo_fill(cr);
      break;
    case domain::StageStatus::kFlaky:  // a circular arrow: passed on its retry
      cairo_arc(cr, cx, cy, k * 0.8, -0.35 * M_PI, 1.35 * M_PI);
      cairo_stroke(cr);
      cairo_move_to(cr, cx + k * 0.15, cy - k * 1.25);
      cairo_line_to(cr, cx + k * 0.75, cy - k * 0.75);
      cairo_line_to(cr, cx + k * 0.05, cy - k * 0.35);
      cairo_stroke(cr);
      break;
  }
}

void Text(cairo_t* cr, FontFace face, double px, double x, double y, const std::string& t,
          const std::string& color) {
  SetColor(cr, color);
  TextPainter(cr, face, px).Draw(x, y, t);
}

void TextRight(cairo_t* cr, FontFace face, double px, double right, double y, const std::string& t,
               const std::string& color) {
  Text(cr, face, px, right - FontMetrics::Get(face).TextWidth(t, px), y, t, color);
}

void TextCenter(cairo_t* cr, FontFace face, double px, double cx, double y, const std::string& t,
                const std::string& color) {
  Text(cr, face, px, cx - FontMetrics::Get(face).TextWidth(t, px) / 2, y, t, color);
}

struct PngSource {
  const std::string* data;
  size_t pos;
};
cairo_status_t ReadPng(void* closure, unsigned char* out, unsigned int len) {
  auto* s = static_cast<PngSource*>(closure);
  if (s->pos + len > s->data->size()) return CAIRO_STATUS_READ_ERROR;
  std::copy_n(s->data->data() + s->pos, len, out);
  s->pos += len;
  return CAIRO_STATUS_SUCCESS;
}

// Draws the screenshot scaled to fit (x, y, w, h); false when it cannot be decoded.
bool DrawThumbnail(cairo_t* cr, const std::string& png, double x, double y, double w, double h) {
  PngSource src{&png, 0};
  cairo_surface_t* img = cairo_image_surface_create_from_png_stream(ReadPng, &src);
  if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(img);
    return false;
  }
  double iw = cairo_image_surface_get_width(img), ih = cairo_image_surface_get_height(img);
  double scale = std::min(w / iw, h / ih);
  double dw = iw * scale, dh = ih * scale;
  double dx = x + (w - dw) / 2, dy = y + (h - dh) / 2;
  cairo_save(cr);
  RoundedRect(cr, dx, dy, dw, dh, 8);
  cairo_clip(cr);
  cairo_translate(cr, dx, dy);
  cairo_scale(cr, scale, scale);
  cairo_set_source_surface(cr, img, 0, 0);
  cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
  cairo_paint(cr);
  cairo_restore(cr);
  SetColor(cr, "#d0d7de");
  cairo_set_line_width(cr, 1);
  RoundedRect(cr, dx + 0.5, dy + 0.5, dw - 1, dh - 1, 8);
  cairo_stroke(cr);
  cairo_surface_destroy(img);
  return true;
}

}  // namespace

std::string FormatDuration(int64_t ms) {
  if (ms < 0) ms = 0;
  char buf[32];
  if (ms < 60000) {
    snprintf(buf, sizeof(buf), "%.1f s", ms / 1000.0);
  } else if (ms < 3600000) {
    snprintf(buf, sizeof(buf), "%lld min %lld s", static_cast<long long>(ms / 60000),
             static_cast<long long>(ms / 1000 % 60));
  } else {
    snprintf(buf, sizeof(buf), "%lld h %lld min", static_cast<long long>(ms / 3600000),
             static_cast<long long>(ms / 60000 % 60));
  }
  return buf;
}

namespace {

// Header: who and what.
void DrawHeader(cairo_t* cr, const RunSummary& run) {
  SetColor(cr, "#24292f");
  cairo_rectangle(cr, 0, 0, kCardWidth, 120);
  cairo_fill(cr);
  Text(cr, FontFace::kBold, 22, 48, 42, "cc-ci", "#8c959f");
  Text(cr, FontFace::kBold, 46, 48, 96,
       Fit(run.recipe.empty() ? run.repo : run.recipe, FontFace::kBold, 46, 700), "#ffffff");
  std::string where = run.pr > 0 ? "PR #" + std::to_string(run.pr) : std::string("branch run");
  std::string sub = where + "  ·  " + run.short_sha.substr(0, 10);
  TextRight(cr, FontFace::kRegular, 26, kCardWidth - 48, 72, Fit(sub, FontFace::kRegular, 26, 380),
            "#d0d7de");
  TextRight(cr, FontFace::kRegular, 18, kCardWidth - 48, 100,
            Fit(run.repo, FontFace::kRegular, 18, 380), "#8c959f");
}

// The level block on the right (x `bx`, y `by`, `bw` by `bh`), the rungs under it, the
// history and the change since the previous run; the y below them all.
double DrawLevelBlock(cairo_t* cr, const RunSummary& run, const domain::LevelResult& level,
                      bool finished, double bx, double by, double bw, double bh) {
  std::string color, big, small = "LEVEL";
  if (!finished) {
    // Each state its own look: the dots say "in progress", and only running is.
    std::string state = run.state.empty() ? "queued" : run.state;
    color = StateColor(state);
    big = state == "running"      ? "\u2026"   // …
          : state == "queued"     ? "\u25f7"   // ◷ a clock: in line
          : state == "waiting"    ? "\u2016"   // ‖ paused
          : state == "superseded" ? "\u21b7"   // ↷ stepped over by a newer run
                                  : "\u00d7";  // × cancelled
    small = state;
    std::transform(small.begin(), small.end(), small.begin(), ::toupper);
  } else if (run.state == "error" || level.ci_error) {
    color = kColorError;
    big = "!";
    small = "CI ERROR";
  } else {
    color = domain::LevelColor(level.level);
    big = std::to_string(level.level);
  }
  SetColor(cr, color);
  RoundedRect(cr, bx, by, bw, bh, 18);
  cairo_fill(cr);
  TextCenter(cr, FontFace::kBold, 24, bx + bw / 2, by + 40, small, "#ffffff");
  TextCenter(cr, FontFace::kBold, 120, bx + bw / 2, by + 170, big, "#ffffff");
  // The rungs as a strip: counted rungs filled, the rest outlined.
  for (int i = 0; i < domain::kRungCount; ++i) {
    double sx = bx + i * (bw / domain::kRungCount) + 3, sw = bw / domain::kRungCount - 6,
           sy = by + bh + 14;
    const domain::RungOutcome& r = level.rungs[i];
    SetColor(cr, r.counted ? color : (r.present ? StatusColor(r.status) : "#d0d7de"));
    RoundedRect(cr, sx, sy, sw, 10, 5);
    cairo_fill(cr);
  }
  double below = by + bh;  // what is under the level block moves down to make room
  if (!run.history.empty()) {
    DrawSparkline(cr, LayoutSparkline(run.history, kCardHistoryX, kCardHistoryY, kCardHistoryW,
                                      kCardHistoryH));
    below = kCardHistoryY + kCardHistoryH - 30;
  }
  if (finished && !level.ci_error && run.previous_level) {
    int prev = *run.previous_level, now = level.level;
    std::string change = "L" + std::to_string(prev) + " → L" + std::to_string(now);
    std::string arrow = now > prev ? "▲ " : now < prev ? "▼ " : "= ";
    const char* c = now > prev ? "#2da44e" : now < prev ? "#cf222e" : "#57606a";
    TextCenter(cr, FontFace::kBold, 24, bx + bw / 2, below + 58, arrow + change, c);
  }
  return below;
}

// Stage list on the left; rows shrink to fit up to 20 stages.
void DrawStageList(cairo_t* cr, const RunSummary& run, bool finished) {
  const double list_x = 48, list_top = 150, list_right = 820, list_bottom = kCardHeight - 30;
  size_t n = std::max<size_t>(run.stages.size(), 1);
  double row = std::clamp((list_bottom - list_top) / static_cast<double>(n), 20.0, 50.0);
  double px = std::clamp(row * 0.5, 11.0, 24.0);
  if (run.stages.empty()) {
    Text(cr, FontFace::kRegular, 24, list_x, list_top + 30,
         finished ? "no stages recorded" : "waiting for the first stage…", "#57606a");
  }
  for (size_t i = 0; i < run.stages.size(); ++i) {
    const domain::StageResult& s = run.stages[i];
    double cy = list_top + row * i + row / 2;
    if (cy + row / 2 > list_bottom + 1) break;
    DrawIcon(cr, s.status, list_x + px * 0.6, cy, px * 0.6);
    double name_x = list_x + px * 1.6;
    Text(cr, FontFace::kBold, px, name_x, cy + px * 0.36, Fit(s.name, FontFace::kBold, px, 200),
         "#24292f");
    std::string dur =
        s.status == domain::StageStatus::kPending ? "" : FormatDuration(s.duration_ms);
    double dur_w = FontMetrics::Get(FontFace::kRegular).TextWidth(dur, px);
    TextRight(cr, FontFace::kRegular, px, list_right, cy + px * 0.36, dur, "#57606a");
    std::string reason = s.reason.empty() ? domain::StageStatusName(s.status) : s.reason;
    double reason_x = name_x + 210;
    double room = list_right - dur_w - 20 - reason_x;
    if (room > 40) {
      Text(cr, FontFace::kRegular, px * 0.8, reason_x, cy + px * 0.3,
           Fit(reason, FontFace::kRegular, px * 0.8, room), "#57606a");
    }
  }
}

}  // namespace

Result<std::string> RenderCardPng(const RunSummary& run) {
  cairo_surface_t* surface =
      cairo_image_surface_create(CAIRO_FORMAT_RGB24, kCardWidth, kCardHeight);
  cairo_t* cr = cairo_create(surface);
  SetColor(cr, "#f6f8fa");
  cairo_paint(cr);
  DrawHeader(cr, run);
  domain::LevelResult level = domain::ComputeLevel(run.stages);
  if (run.level && !level.ci_error) level.level = *run.level;
  bool finished = run.state == "finished" || run.state == "error";
  const double bx = 860, by = 150, bw = 292, bh = 210;
  double below = DrawLevelBlock(cr, run, level, finished, bx, by, bw, bh);
  DrawStageList(cr, run, finished);

  // Screenshot thumbnail under the level.
  if (!run.screenshot_png.empty()) {
    DrawThumbnail(cr, run.screenshot_png, bx, below + 80, bw, kCardHeight - (below + 80) - 24);
  }
  cairo_destroy(cr);
  auto png = EncodePng(surface);
  cairo_surface_destroy(surface);
  return png;
}

Result<RunSummary> ParseRunJson(const std::string& json, const std::string& base_dir) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) return InvalidArgument("run file is not a JSON object");
  RunSummary r;
  auto str = [&](const char* k) -> std::string {
    auto it = d.FindMember(k);
    return it != d.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
  };
  r.recipe = str("recipe");
  r.repo = str("repo");
  r.short_sha = str("sha");
  r.state = str("state");
  if (r.state.empty()) r.state = "finished";
  if (auto it = d.FindMember("pr"); it != d.MemberEnd() && it->value.IsInt64()) {
    r.pr = it->value.GetInt64();
  }
  if (auto it = d.FindMember("previous_level"); it != d.MemberEnd() && it->value.IsInt()) {
    r.previous_level = it->value.GetInt();
  }
  if (std::string shot = str("screenshot"); !shot.empty()) {
    std::string path = shot[0] == '/' || base_dir.empty() ? shot : base_dir + "/" + shot;
    std::ifstream in(path, std::ios::binary);
    if (!in) return InvalidArgument("screenshot " + path + " cannot be read");
    std::ostringstream ss;
    ss << in.rdbuf();
    r.screenshot_png = ss.str();
  }
  auto stages = d.FindMember("stages");
  if (stages == d.MemberEnd() || !stages->value.IsArray()) {
    return InvalidArgument("run file has no \"stages\" array");
  }
  for (const auto& v : stages->value.GetArray()) {
    if (!v.IsObject()) return InvalidArgument("a stage is not an object");
    domain::StageResult s;
    auto name = v.FindMember("name");
    auto status = v.FindMember("status");
    if (name == v.MemberEnd() || !name->value.IsString())
      return InvalidArgument("a stage has no name");
    s.name = name->value.GetString();
    if (status == v.MemberEnd() || !status->value.IsString() ||
        !domain::ParseStageStatus(status->value.GetString(), &s.status)) {
      return InvalidArgument(
          "stage " + s.name +
          ": status must be pass, fail, skip, unverified, error, pending or running");
    }
    if (auto it = v.FindMember("reason"); it != v.MemberEnd() && it->value.IsString())
      s.reason = it->value.GetString();
    if (auto it = v.FindMember("duration_ms"); it != v.MemberEnd() && it->value.IsInt64())
      s.duration_ms = it->value.GetInt64();
    if (auto it = v.FindMember("intentional"); it != v.MemberEnd() && it->value.IsBool())
      s.intentional = it->value.GetBool();
    r.stages.push_back(s);
  }
  return r;
}

}  // namespace ccci::render
