#include "renderer/png_writer.h"

#include <png.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace ccci::render {
namespace {

// Large images (cards, placeholders) go through zlib at level 1 with run-length matching, on
// one stream per thread reset for each image.
class Deflater {
 public:
  Deflater() { ok_ = deflateInit2(&z_, 1, Z_DEFLATED, 15, 8, Z_RLE) == Z_OK; }
  ~Deflater() {
    if (ok_) deflateEnd(&z_);
  }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  // Starts a new zlib stream. False when zlib could not allocate its state.
  bool Reset() { return ok_ && deflateReset(&z_) == Z_OK; }

  // Compresses `len` bytes, appending to `out`; `last` ends the stream.
  bool Write(const unsigned char* data, size_t len, bool last, std::string* out) {
    z_.next_in = const_cast<unsigned char*>(data);
    z_.avail_in = static_cast<uInt>(len);
    for (;;) {
      size_t used = out->size();
      size_t room = len / 4 + 256;
      out->resize(used + room);
      z_.next_out = reinterpret_cast<unsigned char*>(out->data() + used);
      z_.avail_out = static_cast<uInt>(room);
      int rc = deflate(&z_, last ? Z_FINISH : Z_NO_FLUSH);
      out->resize(used + room - z_.avail_out);
      if (rc == Z_STREAM_END) return true;
      if (rc != Z_OK && rc != Z_BUF_ERROR) return false;
      if (z_.avail_in == 0 && z_.avail_out != 0) return !last;
    }
  }

 private:
  z_stream z_{};
  bool ok_ = false;
};

// Small images (badges) get a zlib stream written here, one deflate block with the fixed
// Huffman code and greedy matches at three distances only: the byte before (runs, which the
// "sub" filter makes of flat colour), the pixel before and the row above. zlib spends most of
// a badge's time finding and entropy-coding what these find; the PNG is ~15% larger.
class FixedDeflater {
 public:
  FixedDeflater() {
    for (int s = 0; s < 288; ++s) {  // RFC 1951 3.2.6
      if (s < 144)
        lit_[s] = {Reverse(0x30 + s, 8), 8};
      else if (s < 256)
        lit_[s] = {Reverse(0x190 + s - 144, 9), 9};
      else if (s < 280)
        lit_[s] = {Reverse(s - 256, 7), 7};
      else
        lit_[s] = {Reverse(0xC0 + s - 280, 8), 8};
    }
    for (int len = 3, c = 0; len <= 258; ++len) {
      while (c < 28 && len >= kLengthBase[c + 1]) ++c;
      Code sym = lit_[257 + c];
      length_[len] = {sym.bits | static_cast<uint32_t>(len - kLengthBase[c]) << sym.len,
                      sym.len + kLengthExtra[c]};
    }
  }

  // Appends the zlib stream of `data` to `out`. REQUIRES: bpp, row <= 32768.
  void Deflate(const uint8_t* data, size_t n, size_t bpp, size_t row, std::string* out) const {
    const size_t start = out->size();
    out->resize(start + n + n / 8 + 16);  // 9 bits a byte at most, header and trailer
    Bits bits{reinterpret_cast<uint8_t*>(out->data() + start)};
    bits.Put(0x0178, 16);  // zlib header: deflate, 32 KB window, fastest
    bits.Put(3, 3);        // the last block, fixed Huffman code
    const size_t distances[3] = {1, bpp, row};
    const Code dist_codes[3] = {Distance(1), Distance(bpp), Distance(row)};
    for (size_t i = 0; i < n;) {
      size_t best = 0, best_k = 0, max = std::min<size_t>(258, n - i);
      if (max >= 4) {
        // A quick filter on the first three bytes: most positions in text match nowhere.
        const uint32_t head = Load32(data + i) & 0xffffff;
        auto starts = [&](size_t d) { return d <= i && (Load32(data + i - d) & 0xffffff) == head; };
        const bool candidate[3] = {starts(1), starts(bpp), starts(row)};
        if (candidate[0] | candidate[1] | candidate[2]) {
          for (size_t k = 0; k < 3; ++k) {
            if (!candidate[k]) continue;
            size_t len = MatchLength(data + i, data + i - distances[k], max);
            if (len > best) best = len, best_k = k;
          }
        }
      }
      if (best >= 3) {
        bits.Put(length_[best].bits, length_[best].len);
        bits.Put(dist_codes[best_k].bits, dist_codes[best_k].len);
        i += best;
      } else {
        bits.Put(lit_[data[i]].bits, lit_[data[i]].len);
        ++i;
      }
    }
    bits.Put(0, 7);  // end of block
    uint8_t* p = bits.Finish();
    uint32_t adler = static_cast<uint32_t>(adler32(1, data, static_cast<uInt>(n)));
    for (int i = 0; i < 4; ++i) *p++ = static_cast<uint8_t>(adler >> (24 - 8 * i));
    out->resize(static_cast<size_t>(reinterpret_cast<char*>(p) - out->data()));
  }

 private:
  struct Code {
    uint32_t bits = 0;  // in the order they are written (Huffman codes bit-reversed)
    int len = 0;
  };
  struct Bits {  // LSB-first bit writer
    uint8_t* p;
    uint64_t acc = 0;
    int n = 0;
    void Put(uint32_t v, int len) {
      acc |= static_cast<uint64_t>(v) << n;
      n += len;
      if (n >= 32) {
        for (int i = 0; i < 4; ++i) *p++ = static_cast<uint8_t>(acc >> (8 * i));
        acc >>= 32;
        n -= 32;
      }
    }
    uint8_t* Finish() {
      for (; n > 0; n -= 8, acc >>= 8) *p++ = static_cast<uint8_t>(acc);
      return p;
    }
  };
  static constexpr int kLengthBase[29] = {3,  4,  5,  6,   7,   8,   9,   10,  11, 13,
                                          15, 17, 19, 23,  27,  31,  35,  43,  51, 59,
                                          67, 83, 99, 115, 131, 163, 195, 227, 258};
  static constexpr int kLengthExtra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                           2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};

  static uint32_t Reverse(uint32_t v, int len) {
    uint32_t r = 0;
    for (int i = 0; i < len; ++i, v >>= 1) r = r << 1 | (v & 1);
    return r;
  }
  // Distance codes have 5 bits; code c >= 2 covers 2^(c/2 - 1) distances from its base.
  static Code Distance(size_t d) {
    uint32_t code = 0, base = 1, extra = 0;
    while (true) {
      uint32_t e = code < 4 ? 0 : code / 2 - 1;
      if (d < base + (1u << e)) {
        extra = e;
        break;
      }
      base += 1u << e;
      ++code;
    }
    return {Reverse(code, 5) | static_cast<uint32_t>(d - base) << 5, 5 + static_cast<int>(extra)};
  }
  static uint32_t Load32(const uint8_t* p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
  }
  static size_t MatchLength(const uint8_t* a, const uint8_t* b, size_t max) {
    size_t k = 0;
    for (; k + 8 <= max; k += 8) {
      uint64_t x, y;
      memcpy(&x, a + k, 8);
      memcpy(&y, b + k, 8);
      if (x != y) {
        while (a[k] == b[k]) ++k;
        return k;
      }
    }
    while (k < max && a[k] == b[k]) ++k;
    return k;
  }

  Code lit_[288];
  Code length_[259];
};

constexpr size_t kSmallImage = 64 << 10;  // filtered bytes
constexpr size_t kBatch = 64 << 10;       // filtered bytes handed to zlib at a time

struct EncoderState {
  Deflater zlib;
  std::vector<unsigned char> rows;
};
thread_local EncoderState t_state;

// Premultiplied ARGB to straight ARGB.
uint32_t Unpremultiply(uint32_t p) {
  unsigned a = p >> 24;
  if (a == 0) return 0;
  auto channel = [a](unsigned c) { return std::min(255u, (c * 255 + a / 2) / a); };
  return a << 24 | channel((p >> 16) & 255) << 16 | channel((p >> 8) & 255) << 8 | channel(p & 255);
}

void PutU32(std::string& out, uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(b, 4);
}

// A chunk is length, type, data, CRC of type and data: BeginChunk leaves the length to fill.
size_t BeginChunk(std::string& out, const char* type) {
  size_t at = out.size();
  PutU32(out, 0);
  out.append(type, 4);
  return at;
}
void EndChunk(std::string& out, size_t at) {
  uint32_t len = static_cast<uint32_t>(out.size() - at - 8);
  for (int i = 0; i < 4; ++i) out[at + i] = static_cast<char>(len >> (24 - 8 * i));
  PutU32(out, static_cast<uint32_t>(
                  crc32(0, reinterpret_cast<const Bytef*>(out.data() + at + 4), len + 4)));
}

// One row of straight (not premultiplied) RGBA or RGB bytes with the "sub" filter: each byte
// minus the same channel of the pixel to its left. After it a flat-colour run is zeros.
unsigned char* FilterRow(const uint32_t* in, int width, bool alpha, unsigned char* out) {
  *out++ = 1;  // filter type: sub
  if (alpha) {
    // Four channels at once: the RGBA bytes as a little-endian word, subtracted bytewise.
    uint32_t prev = 0;
    for (int x = 0; x < width; ++x) {
      uint32_t p = in[x];
      unsigned a = p >> 24;
      if (a != 255) p = Unpremultiply(p);
      uint32_t rgba = (p & 0xff00ff00u) | ((p >> 16) & 0xff) | ((p & 0xff) << 16);
      uint32_t diff =
          ((rgba | 0x80808080u) - (prev & 0x7f7f7f7fu)) ^ ((rgba ^ ~prev) & 0x80808080u);
      prev = rgba;
      for (int i = 0; i < 4; ++i) out[i] = static_cast<unsigned char>(diff >> (8 * i));
      out += 4;
    }
    return out;
  }
  unsigned pr = 0, pg = 0, pb = 0;
  for (int x = 0; x < width; ++x) {
    uint32_t p = in[x];
    unsigned r = (p >> 16) & 255, g = (p >> 8) & 255, b = p & 255;
    out[0] = static_cast<unsigned char>(r - pr);
    out[1] = static_cast<unsigned char>(g - pg);
    out[2] = static_cast<unsigned char>(b - pb);
    pr = r;
    pg = g;
    pb = b;
    out += 3;
  }
  return out;
}

void WriteFixed(const ArgbPixels& px, size_t row_bytes, EncoderState* st, std::string* out) {
  static const FixedDeflater fixed;
  st->rows.resize(row_bytes * px.height);
  unsigned char* w = st->rows.data();
  for (int y = 0; y < px.height; ++y) {
    w = FilterRow(px.data + static_cast<size_t>(y) * px.stride, px.width, px.alpha, w);
  }
  fixed.Deflate(st->rows.data(), st->rows.size(), px.alpha ? 4 : 3, row_bytes, out);
}

bool WriteWithZlib(const ArgbPixels& px, size_t row_bytes, EncoderState* st, std::string* out) {
  if (!st->zlib.Reset()) return false;
  const int batch_rows = static_cast<int>(std::max<size_t>(1, kBatch / row_bytes));
  st->rows.resize(row_bytes * std::min(batch_rows, px.height));
  for (int y0 = 0; y0 < px.height; y0 += batch_rows) {
    int y1 = std::min(px.height, y0 + batch_rows);
    unsigned char* w = st->rows.data();
    for (int y = y0; y < y1; ++y) {
      w = FilterRow(px.data + static_cast<size_t>(y) * px.stride, px.width, px.alpha, w);
    }
    if (!st->zlib.Write(st->rows.data(), static_cast<size_t>(w - st->rows.data()), y1 == px.height,
                        out)) {
      return false;
    }
  }
  return true;
}

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

Result<std::string> EncodePng(const ArgbPixels& px) {
  if (px.width <= 0 || px.height <= 0 || px.stride < px.width || !px.data) {
    return InvalidArgument("empty or malformed image");
  }
  const size_t row_bytes = 1 + static_cast<size_t>(px.width) * (px.alpha ? 4 : 3);
  const size_t total = row_bytes * px.height;
  const bool small = total <= kSmallImage && row_bytes <= 32768;  // deflate's longest distance

  std::string out;
  out.reserve(small ? total + total / 8 + 96 : total / 8 + 128);
  out.append("\x89PNG\r\n\x1a\n", 8);
  size_t at = BeginChunk(out, "IHDR");
  PutU32(out, static_cast<uint32_t>(px.width));
  PutU32(out, static_cast<uint32_t>(px.height));
  const char ihdr[5] = {8, static_cast<char>(px.alpha ? 6 : 2), 0, 0, 0};  // 8 bit, RGBA|RGB
  out.append(ihdr, 5);
  EndChunk(out, at);

  at = BeginChunk(out, "IDAT");
  if (small) {
    WriteFixed(px, row_bytes, &t_state, &out);
  } else if (!WriteWithZlib(px, row_bytes, &t_state, &out)) {
    return Internal("zlib: deflate failed");
  }
  EndChunk(out, at);
  BeginChunk(out, "IEND");
  EndChunk(out, out.size() - 8);
  return out;
}

Result<std::string> EncodePng(cairo_surface_t* surface) {
  cairo_surface_flush(surface);
  cairo_format_t format = cairo_image_surface_get_format(surface);
  if (format != CAIRO_FORMAT_ARGB32 && format != CAIRO_FORMAT_RGB24) {
    return InvalidArgument("unsupported surface format");
  }
  ArgbPixels px;
  px.data = reinterpret_cast<const uint32_t*>(cairo_image_surface_get_data(surface));
  px.width = cairo_image_surface_get_width(surface);
  px.height = cairo_image_surface_get_height(surface);
  px.stride = cairo_image_surface_get_stride(surface) / 4;
  px.alpha = format == CAIRO_FORMAT_ARGB32;
  return EncodePng(px);
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
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return out;
}

}  // namespace ccci::render
