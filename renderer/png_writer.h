#pragma once
// PNG encoding of Cairo image surfaces with libpng directly: fast zlib level and the "sub"
// filter, which suit flat-colour images (badges, cards) far better than Cairo's defaults
// (measured in tests/bench/renderer).

#include <cairo.h>

#include <string>

#include "base/status.h"

namespace ccci::render {

// Encodes an ARGB32 or RGB24 image surface as an 8-bit RGBA (or RGB) PNG.
Result<std::string> EncodePng(cairo_surface_t* surface);

// Decodes a PNG into 8-bit RGBA rows (for tests and thumbnails).
struct DecodedPng {
  int width = 0;
  int height = 0;
  std::string rgba;  // width * height * 4 bytes
};
Result<DecodedPng> DecodePng(const std::string& png);

}  // namespace ccci::render
