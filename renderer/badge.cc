#include "renderer/badge.h"

#include <cairo.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>
#include <vector>

#include "renderer/font.h"
#include "renderer/png_writer.h"
#include "renderer/text_painter.h"

namespace ccci::render {
namespace {

constexpr double kFontPx = 11;
constexpr int kPad = 5;
constexpr int kHeight = 20;
constexpr int kRadius = 3;
constexpr int kMaxScale = 4;
constexpr size_t kKeptPixels = 256 << 10;  // a thread keeps a buffer this big between badges

// Opaque ARGB from a normalized "#rrggbb".
uint32_t ParseArgb(const std::string& hex) {
  return 0xff000000u | static_cast<uint32_t>(std::stoul(hex.substr(1), nullptr, 16));
}

// pixman's rounding multiplication of two 8-bit fractions.
uint32_t MulUn8(uint32_t a, uint32_t b) {
  uint32_t t = a * b + 0x80;
  return (t + (t >> 8)) >> 8;
}

// Premultiplied `src` OVER opaque `dst`.
uint32_t Over(uint32_t src, uint32_t dst) {
  uint32_t inv = 255 - (src >> 24), out = 0;
  for (int shift = 0; shift < 32; shift += 8) {
    uint32_t v = ((src >> shift) & 255) + MulUn8((dst >> shift) & 255, inv);
    out |= (v > 255 ? 255 : v) << shift;
  }
  return out;
}

// The light overlay at `t` (0 top, 1 bottom): #bbb to #000, both at opacity .1, premultiplied
// and rounded as pixman's gradient walker does.
uint32_t OverlayAt(double t) {
  const double a = (0.1 * 65535 + 0.5) / 257;  // Cairo's 16-bit stop alpha, in 0..255
  const double grey = 0xbb * (1 - t) * a / 255;
  uint32_t a8 = static_cast<uint32_t>(a + 0.5), c8 = static_cast<uint32_t>(grey + 0.5);
  return a8 << 24 | c8 << 16 | c8 << 8 | c8;
}

// Text colours as Cairo hands them to pixman: white, and #010101 at opacity .3 (premultiplied,
// the colour rounds to 0).
constexpr uint32_t kTextColor = 0xffffffff;
constexpr uint32_t kShadowColor = 0x4c000000;

void RoundedRectPath(cairo_t* cr, double width) {
  double r = kRadius;
  cairo_new_sub_path(cr);
  cairo_arc(cr, width - r, r, r, -M_PI / 2, 0);
  cairo_arc(cr, width - r, kHeight - r, r, 0, M_PI / 2);
  cairo_arc(cr, r, kHeight - r, r, M_PI / 2, M_PI);
  cairo_arc(cr, r, r, r, M_PI, 3 * M_PI / 2);
  cairo_close_path(cr);
}

// Cairo's coverage of a narrow rounded badge, (2r + 2) x 20 at `scale`: every badge's corners
// are these columns, since the arcs sit at whole pixels from either end. Drawn once per scale.
struct CornerMask {
  int width = 0;
  std::vector<uint8_t> coverage;  // width * height
};
const CornerMask& CornersAt(int scale) {  // REQUIRES: 1 <= scale <= kMaxScale
  static std::array<std::once_flag, kMaxScale> once;
  static std::array<CornerMask, kMaxScale> masks;
  std::call_once(once[scale - 1], [scale] {
    CornerMask& m = masks[scale - 1];
    m.width = (2 * kRadius + 2) * scale;
    const int h = kHeight * scale;
    cairo_surface_t* s = cairo_image_surface_create(CAIRO_FORMAT_A8, m.width, h);
    cairo_t* cr = cairo_create(s);
    cairo_scale(cr, scale, scale);
    RoundedRectPath(cr, 2 * kRadius + 2);
    cairo_fill(cr);
    cairo_destroy(cr);
    cairo_surface_flush(s);
    const unsigned char* data = cairo_image_surface_get_data(s);
    const int stride = cairo_image_surface_get_stride(s);
    m.coverage.resize(static_cast<size_t>(m.width) * h);
    for (int y = 0; y < h; ++y) {
      std::copy(data + y * stride, data + y * stride + m.width, &m.coverage[y * m.width]);
    }
    cairo_surface_destroy(s);
  });
  return masks[scale - 1];
}

// Clips the finished badge to its rounded outline (the SVG's clip-path on the whole group).
void RoundCorners(uint32_t* px, int w, int h, int scale) {
  const CornerMask& m = CornersAt(scale);
  const int edge = kRadius * scale;
  for (int y = 0; y < h; ++y) {
    const uint8_t* cov = &m.coverage[static_cast<size_t>(y) * m.width];
    uint32_t* row = px + static_cast<size_t>(y) * w;
    auto clip = [&](int x, uint8_t c) {
      if (c == 255) return;
      uint32_t p = row[x];
      row[x] = MulUn8(p >> 24, c) << 24 | MulUn8((p >> 16) & 255, c) << 16 |
               MulUn8((p >> 8) & 255, c) << 8 | MulUn8(p & 255, c);
    };
    for (int x = 0; x < edge; ++x) clip(x, cov[x]);
    for (int x = w - edge; x < w; ++x) clip(x, cov[x - (w - m.width)]);
  }
}

std::string Fmt(double v) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%.1f", v);
  std::string s = buf;
  if (s.size() > 2 && s.substr(s.size() - 2) == ".0") s.resize(s.size() - 2);
  return s;
}

}  // namespace

BadgeSpec BadgeForLevel(int level) {
  BadgeSpec b;
  b.message = "level " + std::to_string(level);
  b.color = domain::LevelColor(level);
  return b;
}

const char* StateColor(const std::string& state) {
  if (state == "queued" || state == "running") return kColorActive;
  if (state == "waiting") return kColorWaiting;
  if (state == "cancelled" || state == "superseded") return kColorCancelled;
  return kColorError;
}

BadgeSpec BadgeForState(const std::string& text) {
  BadgeSpec b;
  b.message = text;
  b.color = StateColor(text);
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
  if (scale < 1 || scale > kMaxScale) return InvalidArgument("badge scale must be 1-4");
  BadgeGeometry g = MeasureBadge(spec);
  const int w = g.width() * scale, h = kHeight * scale, split = g.label_width * scale;
  // Flat fills and a per-row overlay need no rasterizer: each row is two colours.
  thread_local std::vector<uint32_t> pixels;
  pixels.resize(static_cast<size_t>(w) * h);
  const uint32_t label = ParseArgb(NormalizeColor(spec.label_color).value_or("#555555"));
  const uint32_t message = ParseArgb(NormalizeColor(spec.color).value_or(kColorUnknown));
  for (int y = 0; y < h; ++y) {
    uint32_t overlay = OverlayAt((y + 0.5) / h);
    uint32_t* row = pixels.data() + static_cast<size_t>(y) * w;
    std::fill(row, row + split, Over(overlay, label));
    std::fill(row + split, row + w, Over(overlay, message));
  }

  ArgbCanvas canvas{pixels.data(), w, h, w};
  PixelTextPainter painter(FontFace::kRegular, kFontPx * scale);
  auto text = [&](double center, double text_width, const std::string& t) {
    double x = (center - text_width / 2) * scale;
    painter.Draw(canvas, x, 15 * scale, t, kShadowColor);
    painter.Draw(canvas, x, 14 * scale, t, kTextColor);
  };
  text(g.label_width / 2.0, g.label_text_width, spec.label);
  text(g.label_width + g.message_width / 2.0, g.message_text_width, spec.message);
  RoundCorners(pixels.data(), w, h, scale);
  auto png = EncodePng(ArgbPixels{pixels.data(), w, h, w, true});
  if (pixels.size() > kKeptPixels) std::vector<uint32_t>().swap(pixels);
  return png;
}

}  // namespace ccci::render
