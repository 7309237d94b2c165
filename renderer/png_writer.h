#pragma once
// PNG encoding of Cairo-layout pixels: the chunks are written here and the image data
// deflated with zlib directly (fast level, run-length matching after the "sub" filter, which
// suit flat-colour images like badges and cards far better than Cairo's defaults). The zlib
// state is kept per thread and reset between images: building it costs more than deflating a
// badge. Measured in tests/bench/renderer.

#include <cairo.h>

#include <cstdint>
#include <string>

#include "base/status.h"

namespace ccci::render {

// Pixels as a Cairo image surface holds them: rows of native-endian 32-bit words, ARGB32
// (premultiplied alpha) or RGB24 (the top byte ignored).
struct ArgbPixels {
  const uint32_t* data = nullptr;
  int width = 0;
  int height = 0;
  int stride = 0;     // in pixels, >= width
  bool alpha = true;  // ARGB32 -> an RGBA PNG; false: RGB24 -> an RGB PNG
};

Result<std::string> EncodePng(const ArgbPixels& pixels);
// Encodes an ARGB32 or RGB24 image surface as an 8-bit RGBA (or RGB) PNG.
Result<std::string> EncodePng(cairo_surface_t* surface);

// Decodes a PNG (with libpng) into 8-bit RGBA rows (for tests and thumbnails).
struct DecodedPng {
  int width = 0;
  int height = 0;
  std::string rgba;  // width * height * 4 bytes
};
Result<DecodedPng> DecodePng(const std::string& png);

}  // namespace ccci::render
