#pragma once
// Colours given as "#rgb" / "#rrggbb" (or a shields name: NormalizeColor) as Cairo sources.

#include <cairo.h>

#include <string>

#include "renderer/badge.h"

namespace ccci::render {

struct Rgb {
  double r, g, b;  // 0..1
};

// Unknown colours are the "unknown" grey.
inline Rgb Hex(const std::string& hex) {
  std::string h = NormalizeColor(hex).value_or(kColorUnknown);
  unsigned v = static_cast<unsigned>(std::stoul(h.substr(1), nullptr, 16));
  return {((v >> 16) & 255) / 255.0, ((v >> 8) & 255) / 255.0, (v & 255) / 255.0};
}

inline void SetColor(cairo_t* cr, const std::string& hex) {
  Rgb c = Hex(hex);
  cairo_set_source_rgb(cr, c.r, c.g, c.b);
}

}  // namespace ccci::render
