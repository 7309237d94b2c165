#include "renderer/badge.h"

#include <cairo.h>

#include <cmath>
#include <cstdio>
#include <map>

#include "renderer/font.h"
#include "renderer/png_writer.h"
#include "renderer/text_painter.h"

namespace ccci::render {
namespace {

constexpr double kFontPx = 11;
constexpr int kPad = 5;

struct Rgb {
  double r, g, b;
};

Rgb ParseRgb(const std::string& hex) {  // REQUIRES: normalized "#rrggbb"
  unsigned v = static_cast<unsigned>(std::stoul(hex.substr(1), nullptr, 16));
  return {((v >> 16) & 255) / 255.0, ((v >> 8) & 255) / 255.0, (v & 255) / 255.0};
}

std::string Fmt(double v) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%.1f", v);
  std::string s = buf;
  if (s.size() > 2 && s.substr(s.size() - 2) == ".0") s.resize(s.size() - 2);
  return s;
}

}  // namespace

std::string LevelColor(int level) {
  static const char* kColors[] = {"#e05d44", "#fe7d37", "#dfb317", "#a4a61d", "#97ca00", "#44cc11"};
  if (level < 0 || level > 5) return kColorUnknown;
  return kColors[level];
}

BadgeSpec BadgeForLevel(int level) {
  BadgeSpec b;
  b.message = "level " + std::to_string(level);
  b.color = LevelColor(level);
  return b;
}

BadgeSpec BadgeForState(const std::string& text) {
  BadgeSpec b;
  b.message = text;
  b.color = (text == "queued" || text == "running" || text == "waiting") ? kColorActive
                                                                          : kColorError;
  return b;
}

std::optional<std::string> NormalizeColor(const std::string& c) {
  static const std::map<std::string, std::string> kNames = {
      {"brightgreen", "#44cc11"}, {"green", "#97ca00"},  {"yellowgreen", "#a4a61d"},
      {"yellow", "#dfb317"},      {"orange", "#fe7d37"}, {"red", "#e05d44"},
      {"blue", "#007ec6"},        {"lightgrey", "#9f9f9f"}, {"grey", "#555555"}};
  if (auto it = kNames.find(c); it != kNames.end()) return it->second;
  if (c.empty() || c[0] != '#') return std::nullopt;
  for (size_t i = 1; i < c.size(); ++i) {
    if (!isxdigit(static_cast<unsigned char>(c[i]))) return std::nullopt;
  }
  std::string lower;
  for (char ch : c) lower.push_back(static_cast<char>(tolower(ch)));
  if (c.size() == 7) return lower;
  if (c.size() == 4) return std::string("#") + lower[1] + lower[1] + lower[2] + lower[2] + lower[3] + lower[3];
  return std::nullopt;
}

BadgeGeometry MeasureBadge(const BadgeSpec& spec) {
  const FontMetrics& m = FontMetrics::Get(FontFace::kRegular);
  BadgeGeometry g;
  g.label_text_width = m.TextWidth(spec.label, kFontPx);
  g.message_text_width = m.TextWidth(spec.message, kFontPx);
  g.label_width = static_cast<int>(std::lround(g.label_text_width)) + 2 * kPad;
  g.message_width = static_cast<int>(std::lround(g.message_text_width)) + 2 * kPad;
  return g;
}

std::string XmlEscape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // Control characters are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') continue;
        out.push_back(c);
    }
  }
  return out;
}

std::string RenderBadgeSvg(const BadgeSpec& spec) {
  BadgeGeometry g = MeasureBadge(spec);
  std::string color = NormalizeColor(spec.color).value_or(kColorUnknown);
  std::string label_color = NormalizeColor(spec.label_color).value_or("#555555");
  std::string label = XmlEscape(spec.label), message = XmlEscape(spec.message);
  std::string w = std::to_string(g.width()), lw = std::to_string(g.label_width),
              mw = std::to_string(g.message_width);
  std::string lx = Fmt(g.label_width / 2.0), mx = Fmt(g.label_width + g.message_width / 2.0);
  std::string ltl = Fmt(g.label_text_width), mtl = Fmt(g.message_text_width);
  std::string svg;
  svg.reserve(1024);
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + w +
         "\" height=\"20\" role=\"img\" aria-label=\"" + label + ": " + message + "\">";
  svg += "<title>" + label + ": " + message + "</title>";
  svg += "<linearGradient id=\"s\" x2=\"0\" y2=\"100%\"><stop offset=\"0\" stop-color=\"#bbb\" "
         "stop-opacity=\".1\"/><stop offset=\"1\" stop-opacity=\".1\"/></linearGradient>";
  svg += "<clipPath id=\"r\"><rect width=\"" + w + "\" height=\"20\" rx=\"3\" fill=\"#fff\"/></clipPath>";
  svg += "<g clip-path=\"url(#r)\"><rect width=\"" + lw + "\" height=\"20\" fill=\"" +
         label_color + "\"/><rect x=\"" + lw + "\" width=\"" + mw + "\" height=\"20\" fill=\"" +
         color + "\"/><rect width=\"" + w + "\" height=\"20\" fill=\"url(#s)\"/></g>";
  svg += "<g fill=\"#fff\" text-anchor=\"middle\" font-family=\"DejaVu Sans,Verdana,Geneva,sans-serif\" "
         "font-size=\"11\">";
  auto text = [&](const std::string& x, const std::string& tl, const std::string& t) {
    svg += "<text x=\"" + x + "\" y=\"15\" fill=\"#010101\" fill-opacity=\".3\" textLength=\"" +
           tl + "\" aria-hidden=\"true\">" + t + "</text>";
    svg += "<text x=\"" + x + "\" y=\"14\" textLength=\"" + tl + "\">" + t + "</text>";
  };
  text(lx, ltl, label);
  text(mx, mtl, message);
  svg += "</g></svg>";
  return svg;
}

Result<std::string> RenderBadgePng(const BadgeSpec& spec, int scale) {
  if (scale < 1 || scale > 4) return InvalidArgument("badge scale must be 1-4");
  BadgeGeometry g = MeasureBadge(spec);
  int w = g.width() * scale, h = 20 * scale;
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
  cairo_t* cr = cairo_create(surface);
  cairo_scale(cr, scale, scale);

  // Rounded clip, the two backgrounds, then the light gradient overlay.
  double r = 3, bw = g.width();
  cairo_new_sub_path(cr);
  cairo_arc(cr, bw - r, r, r, -M_PI / 2, 0);
  cairo_arc(cr, bw - r, 20 - r, r, 0, M_PI / 2);
  cairo_arc(cr, r, 20 - r, r, M_PI / 2, M_PI);
  cairo_arc(cr, r, r, r, M_PI, 3 * M_PI / 2);
  cairo_close_path(cr);
  cairo_clip(cr);
  Rgb lc = ParseRgb(NormalizeColor(spec.label_color).value_or("#555555"));
  Rgb mc = ParseRgb(NormalizeColor(spec.color).value_or(kColorUnknown));
  cairo_set_source_rgb(cr, lc.r, lc.g, lc.b);
  cairo_rectangle(cr, 0, 0, g.label_width, 20);
  cairo_fill(cr);
  cairo_set_source_rgb(cr, mc.r, mc.g, mc.b);
  cairo_rectangle(cr, g.label_width, 0, g.message_width, 20);
  cairo_fill(cr);
  cairo_pattern_t* grad = cairo_pattern_create_linear(0, 0, 0, 20);
  cairo_pattern_add_color_stop_rgba(grad, 0, 0xbb / 255.0, 0xbb / 255.0, 0xbb / 255.0, 0.1);
  cairo_pattern_add_color_stop_rgba(grad, 1, 0, 0, 0, 0.1);
  cairo_set_source(cr, grad);
  cairo_paint(cr);
  cairo_pattern_destroy(grad);

  TextPainter painter(cr, FontFace::kRegular, kFontPx);
  auto text = [&](double center, double text_width, const std::string& t) {
    double x = center - text_width / 2;
    cairo_set_source_rgba(cr, 1 / 255.0, 1 / 255.0, 1 / 255.0, 0.3);
    painter.Draw(x, 15, t);
    cairo_set_source_rgb(cr, 1, 1, 1);
    painter.Draw(x, 14, t);
  };
  text(g.label_width / 2.0, g.label_text_width, spec.label);
  text(g.label_width + g.message_width / 2.0, g.message_text_width, spec.message);
  cairo_destroy(cr);
  auto png = EncodePng(surface);
  cairo_surface_destroy(surface);
  return png;
}

}  // namespace ccci::render
