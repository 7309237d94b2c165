#pragma once
// Draws text with the bundled fonts on a Cairo context (cairo-ft over an in-memory FreeType
// face, created once per process). Hinting of metrics is off, so glyphs advance exactly as
// FontMetrics measures them.

#include <cairo.h>

#include <string>

#include "renderer/font.h"

namespace ccci::render {

class TextPainter {
 public:
  TextPainter(cairo_t* cr, FontFace face, double px);
  // Draws UTF-8 `text` (invalid bytes shown as U+FFFD) with its baseline at (x, y), in the
  // context's current source.
  void Draw(double x, double y, const std::string& text);

 private:
  cairo_t* cr_;
};

// Replaces invalid UTF-8 sequences with U+FFFD.
std::string SanitizeUtf8(const std::string& text);

}  // namespace ccci::render
