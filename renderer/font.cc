#include "renderer/font.h"

#include <stdexcept>

#include "base/incbin.h"

CCCI_INCBIN(ccci_dejavu_sans, CCCI_ASSETS_DIR "/fonts/DejaVuSans.ttf")
CCCI_INCBIN(ccci_dejavu_sans_bold, CCCI_ASSETS_DIR "/fonts/DejaVuSans-Bold.ttf")

namespace ccci::render {
namespace {

uint16_t U16(std::string_view d, size_t off) {
  if (off + 2 > d.size()) throw std::runtime_error("truncated font");
  return static_cast<uint16_t>(static_cast<uint8_t>(d[off]) << 8 | static_cast<uint8_t>(d[off + 1]));
}
uint32_t U32(std::string_view d, size_t off) {
  return static_cast<uint32_t>(U16(d, off)) << 16 | U16(d, off + 2);
}

std::string_view Table(std::string_view ttf, const char tag[4]) {
  uint16_t n = U16(ttf, 4);
  for (uint16_t i = 0; i < n; ++i) {
    size_t rec = 12 + 16 * static_cast<size_t>(i);
    if (ttf.substr(rec, 4) == std::string_view(tag, 4)) {
      uint32_t off = U32(ttf, rec + 8), len = U32(ttf, rec + 12);
      if (off + len > ttf.size()) throw std::runtime_error("bad font table");
      return ttf.substr(off, len);
    }
  }
  throw std::runtime_error(std::string("font lacks table ") + std::string(tag, 4));
}

}  // namespace

std::string_view FontData(FontFace face) {
  if (face == FontFace::kBold) {
    return {ccci_dejavu_sans_bold, static_cast<size_t>(ccci_dejavu_sans_bold_end - ccci_dejavu_sans_bold)};
  }
  return {ccci_dejavu_sans, static_cast<size_t>(ccci_dejavu_sans_end - ccci_dejavu_sans)};
}

const FontMetrics& FontMetrics::Get(FontFace face) {
  static const FontMetrics regular(FontData(FontFace::kRegular));
  static const FontMetrics bold(FontData(FontFace::kBold));
  return face == FontFace::kBold ? bold : regular;
}

FontMetrics::FontMetrics(std::string_view ttf) {
  units_per_em_ = U16(Table(ttf, "head"), 18);
  uint16_t n_hmetrics = U16(Table(ttf, "hhea"), 34);
  std::string_view hmtx = Table(ttf, "hmtx");
  for (uint16_t i = 0; i < n_hmetrics; ++i) advances_.push_back(U16(hmtx, 4 * static_cast<size_t>(i)));

  // cmap: the Windows Unicode BMP subtable (format 4) covers everything a badge needs.
  std::string_view cmap = Table(ttf, "cmap");
  bmp_glyphs_.assign(0x10000, 0);
  uint16_t n = U16(cmap, 2);
  for (uint16_t i = 0; i < n; ++i) {
    uint16_t platform = U16(cmap, 4 + 8 * i), encoding = U16(cmap, 6 + 8 * i);
    uint32_t off = U32(cmap, 8 + 8 * i);
    if (!((platform == 3 && encoding == 1) || platform == 0) || U16(cmap, off) != 4) continue;
    std::string_view t = cmap.substr(off);
    uint16_t segs = U16(t, 6) / 2;
    size_t ends = 14, starts = ends + 2 * segs + 2, deltas = starts + 2 * segs,
           ranges = deltas + 2 * segs;
    for (uint16_t s = 0; s < segs; ++s) {
      uint16_t end = U16(t, ends + 2 * s), start = U16(t, starts + 2 * s);
      uint16_t delta = U16(t, deltas + 2 * s), range = U16(t, ranges + 2 * s);
      for (uint32_t c = start; c <= end && c != 0xFFFF; ++c) {
        uint16_t g;
        if (range == 0) {
          g = static_cast<uint16_t>(c + delta);
        } else {
          size_t at = ranges + 2 * s + range + 2 * (c - start);
          g = U16(t, at);
          if (g != 0) g = static_cast<uint16_t>(g + delta);
        }
        bmp_glyphs_[c] = g;
      }
    }
    break;
  }
}

uint16_t FontMetrics::GlyphIndex(uint32_t cp) const {
  return cp < bmp_glyphs_.size() ? bmp_glyphs_[cp] : 0;
}

double FontMetrics::TextWidth(std::string_view text, double px) const {
  uint64_t units = 0;
  for (size_t i = 0; i < text.size();) {
    uint16_t g = GlyphIndex(NextCodepoint(text, &i));
    units += g < advances_.size() ? advances_[g] : advances_.back();
  }
  return static_cast<double>(units) * px / units_per_em_;
}

uint32_t NextCodepoint(std::string_view s, size_t* i) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  uint8_t b = byte(*i);
  int len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
  if (len == 0 || *i + len > s.size()) {
    ++*i;
    return 0xFFFD;
  }
  uint32_t cp = len == 1 ? b : b & (0x7F >> len);
  for (int k = 1; k < len; ++k) {
    uint8_t c = byte(*i + k);
    if ((c & 0xC0) != 0x80) {
      ++*i;
      return 0xFFFD;
    }
    cp = cp << 6 | (c & 0x3F);
  }
  *i += len;
  return cp;
}

}  // namespace ccci::render
