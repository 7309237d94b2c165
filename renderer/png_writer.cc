#include "renderer/png_writer.h"

#include <png.h>
#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace ccci::render {
namespace {

// libpng and zlib allocate ~300 KB of state per image and free it at once; through glibc that
// means heap growth and trimming (and page faults) per badge, most of the cost measured. A
// thread-local bump arena, reset for each image, serves those allocations instead.
struct Arena {
  static constexpr size_t kSize = 1 << 20;
  std::unique_ptr<char[]> buf{new char[kSize]};
  size_t used = 0;
};
thread_local Arena t_arena;

png_voidp ArenaAlloc(png_structp, png_alloc_size_t size) {
  Arena& a = t_arena;
  size_t aligned = (size + 15) & ~static_cast<size_t>(15);
  if (a.used + aligned <= Arena::kSize) {
    void* p = a.buf.get() + a.used;
    a.used += aligned;
    return p;
  }
  return malloc(size);
}

void ArenaFree(png_structp, png_voidp p) {
  char* c = static_cast<char*>(p);
  Arena& a = t_arena;
  if (c >= a.buf.get() && c < a.buf.get() + Arena::kSize) return;  // reclaimed by the reset
  free(p);
}

void WriteToString(png_structp png, png_bytep data, png_size_t len) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<char*>(data), len);
}
void NoFlush(png_structp) {}

struct Reader {
  const std::string* data;
  size_t pos;
};
void ReadFromString(png_structp png, png_bytep out, png_size_t len) {
  auto* r = static_cast<Reader*>(png_get_io_ptr(png));
  if (r->pos + len > r->data->size()) png_error(png, "truncated PNG");
  memcpy(out, r->data->data() + r->pos, len);
  r->pos += len;
}

}  // namespace

Result<std::string> EncodePng(cairo_surface_t* surface) {
  cairo_surface_flush(surface);
  cairo_format_t format = cairo_image_surface_get_format(surface);
  if (format != CAIRO_FORMAT_ARGB32 && format != CAIRO_FORMAT_RGB24) {
    return InvalidArgument("unsupported surface format");
  }
  bool alpha = format == CAIRO_FORMAT_ARGB32;
  int w = cairo_image_surface_get_width(surface), h = cairo_image_surface_get_height(surface);
  int stride = cairo_image_surface_get_stride(surface);
  const unsigned char* src = cairo_image_surface_get_data(surface);

  // Cairo stores native-endian premultiplied ARGB; PNG wants straight RGBA bytes.
  int channels = alpha ? 4 : 3;
  std::vector<unsigned char> rows(static_cast<size_t>(w) * h * channels);
  for (int y = 0; y < h; ++y) {
    const uint32_t* in = reinterpret_cast<const uint32_t*>(src + static_cast<size_t>(y) * stride);
    unsigned char* out = rows.data() + static_cast<size_t>(y) * w * channels;
    for (int x = 0; x < w; ++x) {
      uint32_t p = in[x];
      unsigned a = alpha ? p >> 24 : 255, r = (p >> 16) & 255, g = (p >> 8) & 255, b = p & 255;
      if (a != 0 && a != 255) {
        r = (r * 255 + a / 2) / a;
        g = (g * 255 + a / 2) / a;
        b = (b * 255 + a / 2) / a;
      }
      out[0] = static_cast<unsigned char>(r);
      out[1] = static_cast<unsigned char>(g);
      out[2] = static_cast<unsigned char>(b);
      if (alpha) out[3] = static_cast<unsigned char>(a);
      out += channels;
    }
  }

  t_arena.used = 0;
  png_structp png = png_create_write_struct_2(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr,
                                              nullptr, ArenaAlloc, ArenaFree);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!info) {
    png_destroy_write_struct(&png, nullptr);
    return Internal("libpng: out of memory");
  }
  std::string out;
  out.reserve(rows.size() / 8 + 256);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return Internal("libpng: encoding failed");
  }
  png_set_write_fn(png, &out, WriteToString, NoFlush);
  png_set_IHDR(png, info, w, h, 8, alpha ? PNG_COLOR_TYPE_RGBA : PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(png, 1);
  // After the "sub" filter a flat-colour row is mostly zeros: run-length matching finds
  // nearly all there is to find, without deflate's hash chains.
  png_set_compression_strategy(png, Z_RLE);
  png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
  png_write_info(png, info);
  for (int y = 0; y < h; ++y) {
    png_write_row(png, rows.data() + static_cast<size_t>(y) * w * channels);
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

Result<DecodedPng> DecodePng(const std::string& data) {
  if (data.size() < 8 || png_sig_cmp(reinterpret_cast<png_const_bytep>(data.data()), 0, 8)) {
    return InvalidArgument("not a PNG");
  }
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return Internal("libpng: out of memory");
  }
  DecodedPng out;
  Reader reader{&data, 0};
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return InvalidArgument("corrupt PNG");
  }
  png_set_read_fn(png, &reader, ReadFromString);
  png_read_info(png, info);
  png_set_expand(png);
  png_set_strip_16(png);
  png_set_gray_to_rgb(png);
  png_set_add_alpha(png, 0xff, PNG_FILLER_AFTER);
  png_read_update_info(png, info);
  out.width = static_cast<int>(png_get_image_width(png, info));
  out.height = static_cast<int>(png_get_image_height(png, info));
  out.rgba.resize(static_cast<size_t>(out.width) * out.height * 4);
  std::vector<png_bytep> rows(out.height);
  for (int y = 0; y < out.height; ++y) {
    rows[y] = reinterpret_cast<png_bytep>(&out.rgba[static_cast<size_t>(y) * out.width * 4]);
  }
  png_read_image(png, rows.data());
  png_destroy_read_struct(&png, &info, nullptr);
  return out;
}

}  // namespace ccci::render
