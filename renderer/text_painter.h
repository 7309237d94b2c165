#pragma once
// Draws text with the bundled fonts (cairo-ft over an in-memory FreeType face, created once
// per process). Hinting of metrics is off, so glyphs advance exactly as FontMetrics measures
// them.

#include <cairo.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "renderer/font.h"

namespace ccci::render {

// On a Cairo context.
class TextPainter {
 public:
  TextPainter(cairo_t* cr, FontFace face, double px);
  // Draws UTF-8 `text` (invalid bytes shown as U+FFFD) with its baseline at (x, y), in the
  // context's current source.
  void Draw(double x, double y, const std::string& text);

 private:
  cairo_t* cr_;
};

// Premultiplied ARGB32 pixels, the layout of a Cairo image surface.
struct ArgbCanvas {
  uint32_t* data = nullptr;
  int width = 0;
  int height = 0;
  int stride = 0;  // in pixels
};

// Straight into pixels, without a Cairo context: for small images drawn often (badges).
// Cairo rasterizes each character's coverage mask once per thread, face and size, and the
// masks land on whole pixels, as Cairo's image backend places glyphs; so the pixels match
// TextPainter's on an image surface. The coverage of a text's glyphs adds up (saturating)
// before it is painted, as in Cairo's clipped path and in an SVG text fill.
// Thread-safe; the cache is per thread and bounded.
class PixelTextPainter {
 public:
  // `px`: the font size in device pixels.
  PixelTextPainter(FontFace face, double px);
  // Draws UTF-8 `text` (invalid bytes as U+FFFD) with its baseline starting at device
  // position (x, y), OVER the canvas in `color` (premultiplied ARGB). Clipped to the canvas.
  void Draw(const ArgbCanvas& canvas, double x, double y, std::string_view text,
            uint32_t color) const;

 private:
  FontFace face_;
  double px_;
};

// Replaces invalid UTF-8 sequences with U+FFFD.
std::string SanitizeUtf8(const std::string& text);

}  // namespace ccci::render
