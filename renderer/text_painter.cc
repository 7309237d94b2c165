#include "renderer/text_painter.h"

#include <cairo-ft.h>
#include <ft2build.h>
#include FT_FREETYPE_H

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <vector>

namespace ccci::render {
namespace {

cairo_font_face_t* CairoFace(FontFace face) {
  static std::once_flag once;
  static cairo_font_face_t* faces[2] = {nullptr, nullptr};
  std::call_once(once, [] {
    FT_Library lib;
    if (FT_Init_FreeType(&lib) != 0) throw std::runtime_error("FreeType init failed");
    for (FontFace f : {FontFace::kRegular, FontFace::kBold}) {
      std::string_view data = FontData(f);
      FT_Face ft;
      if (FT_New_Memory_Face(lib, reinterpret_cast<const FT_Byte*>(data.data()),
                             static_cast<FT_Long>(data.size()), 0, &ft) != 0) {
        throw std::runtime_error("cannot load bundled font");
      }
      // Both live for the whole process: the font is used until exit.
      faces[f == FontFace::kBold] = cairo_ft_font_face_create_for_ft_face(ft, 0);
    }
  });
  return faces[face == FontFace::kBold];
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | cp >> 6));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | cp >> 12));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | cp >> 18));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

cairo_font_options_t* NewFontOptions() {
  cairo_font_options_t* opts = cairo_font_options_create();
  cairo_font_options_set_hint_metrics(opts, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style(opts, CAIRO_HINT_STYLE_SLIGHT);
  cairo_font_options_set_antialias(opts, CAIRO_ANTIALIAS_GRAY);
  return opts;
}

uint32_t SanitizeCodepoint(uint32_t cp) {
  return cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ? 0xFFFD : cp;
}

// One character as Cairo draws it: its advance and its coverage mask, placed relative to the
// pen position rounded to whole pixels.
struct Glyph {
  double advance = 0;
  int left = 0, top = 0, width = 0, height = 0;
  std::vector<uint8_t> mask;  // width * height
};

// The glyphs of one face at one size, rasterized on first use.
class SizedFace {
 public:
  SizedFace(FontFace face, double px) : face_(face), px_(px) {
    cairo_matrix_t font_matrix, ctm;
    cairo_matrix_init_scale(&font_matrix, px, px);
    cairo_matrix_init_identity(&ctm);
    cairo_font_options_t* opts = NewFontOptions();
    font_ = cairo_scaled_font_create(CairoFace(face), &font_matrix, &ctm, opts);
    cairo_font_options_destroy(opts);
  }
  ~SizedFace() { cairo_scaled_font_destroy(font_); }
  SizedFace(const SizedFace&) = delete;
  SizedFace& operator=(const SizedFace&) = delete;

  bool Is(FontFace face, double px) const { return face == face_ && px == px_; }

  // REQUIRES: `cp` is a Unicode scalar value. The reference lives until the next call.
  const Glyph& Get(uint32_t cp) {
    if (cp < ascii_.size()) {
      if (!ascii_[cp]) ascii_[cp] = std::make_unique<Glyph>(Rasterize(cp));
      return *ascii_[cp];
    }
    auto it = other_.find(cp);
    if (it != other_.end()) return it->second;
    if (other_.size() >= kMaxOther) other_.clear();  // arbitrary text must not grow it forever
    return other_.emplace(cp, Rasterize(cp)).first->second;
  }

 private:
  static constexpr size_t kMaxOther = 2048;

  Glyph Rasterize(uint32_t cp) const {
    Glyph g;
    std::string utf8;
    AppendUtf8(utf8, cp);
    cairo_glyph_t* glyphs = nullptr;
    int n = 0;
    if (cairo_scaled_font_text_to_glyphs(font_, 0, 0, utf8.data(), static_cast<int>(utf8.size()),
                                         &glyphs, &n, nullptr, nullptr,
                                         nullptr) != CAIRO_STATUS_SUCCESS) {
      return g;
    }
    cairo_text_extents_t ext;
    cairo_scaled_font_glyph_extents(font_, glyphs, n, &ext);
    g.advance = ext.x_advance;
    if (ext.width > 0 && ext.height > 0) {
      // Draw at a whole-pixel origin with a margin, then keep the covered box.
      int x0 = static_cast<int>(std::floor(ext.x_bearing)) - 2;
      int y0 = static_cast<int>(std::floor(ext.y_bearing)) - 2;
      int w = static_cast<int>(std::ceil(ext.x_bearing + ext.width)) + 2 - x0;
      int h = static_cast<int>(std::ceil(ext.y_bearing + ext.height)) + 2 - y0;
      cairo_surface_t* s = cairo_image_surface_create(CAIRO_FORMAT_A8, w, h);
      cairo_t* cr = cairo_create(s);
      cairo_set_scaled_font(cr, font_);
      for (int i = 0; i < n; ++i) {
        glyphs[i].x -= x0;
        glyphs[i].y -= y0;
      }
      cairo_show_glyphs(cr, glyphs, n);
      cairo_destroy(cr);
      cairo_surface_flush(s);
      const unsigned char* data = cairo_image_surface_get_data(s);
      int stride = cairo_image_surface_get_stride(s);
      int bx0 = w, by0 = h, bx1 = -1, by1 = -1;
      for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
          if (data[y * stride + x] == 0) continue;
          bx0 = std::min(bx0, x);
          bx1 = std::max(bx1, x);
          by0 = std::min(by0, y);
          by1 = std::max(by1, y);
        }
      }
      if (bx1 >= 0) {
        g.left = x0 + bx0;
        g.top = y0 + by0;
        g.width = bx1 - bx0 + 1;
        g.height = by1 - by0 + 1;
        g.mask.resize(static_cast<size_t>(g.width) * g.height);
        for (int y = 0; y < g.height; ++y) {
          memcpy(&g.mask[static_cast<size_t>(y) * g.width], data + (by0 + y) * stride + bx0,
                 g.width);
        }
      }
      cairo_surface_destroy(s);
    }
    cairo_glyph_free(glyphs);
    return g;
  }

  FontFace face_;
  double px_;
  cairo_scaled_font_t* font_;
  std::array<std::unique_ptr<Glyph>, 128> ascii_;
  std::unordered_map<uint32_t, Glyph> other_;
};

// Where Cairo's image backend puts a glyph drawn at `v`: it snaps positions to its 24.8 fixed
// point (ties to even) and then to whole pixels (halves up).
int SnapToPixel(double v) {
  auto fixed = static_cast<int64_t>(std::nearbyint(v * 256));
  return static_cast<int>((fixed + 128) >> 8);
}

SizedFace& CachedFace(FontFace face, double px) {
  thread_local std::vector<std::unique_ptr<SizedFace>> faces;
  for (auto& f : faces) {
    if (f->Is(face, px)) return *f;
  }
  if (faces.size() >= 8) faces.erase(faces.begin());
  faces.push_back(std::make_unique<SizedFace>(face, px));
  return *faces.back();
}

// pixman's 8-bit arithmetic on the four channels of a pixel, two at a time (UN8x4_MUL_UN8 and
// UN8x4_MUL_UN8_ADD_UN8x4 in pixman-combine32.h): x * a / 255 rounded, and x * a / 255 + y
// saturated.
inline uint32_t MulPairs(uint32_t x, uint32_t a) {  // x: two channels at 0x00ff00ff
  uint32_t t = x * a + 0x00800080u;
  return ((t + ((t >> 8) & 0x00ff00ffu)) >> 8) & 0x00ff00ffu;
}
inline uint32_t AddPairs(uint32_t x, uint32_t y) {
  uint32_t t = x + y;
  t |= 0x10000100u - ((t >> 8) & 0x00ff00ffu);
  return t & 0x00ff00ffu;
}
inline uint32_t Mul(uint32_t x, uint32_t a) {
  return MulPairs(x & 0x00ff00ffu, a) | MulPairs((x >> 8) & 0x00ff00ffu, a) << 8;
}
inline uint32_t MulAdd(uint32_t x, uint32_t a, uint32_t y) {
  return AddPairs(MulPairs(x & 0x00ff00ffu, a), y & 0x00ff00ffu) |
         AddPairs(MulPairs((x >> 8) & 0x00ff00ffu, a), (y >> 8) & 0x00ff00ffu) << 8;
}

}  // namespace

std::string SanitizeUtf8(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    AppendUtf8(out, SanitizeCodepoint(NextCodepoint(text, &i)));
  }
  return out;
}

TextPainter::TextPainter(cairo_t* cr, FontFace face, double px) : cr_(cr) {
  cairo_set_font_face(cr_, CairoFace(face));
  cairo_set_font_size(cr_, px);
  cairo_font_options_t* opts = NewFontOptions();
  cairo_set_font_options(cr_, opts);
  cairo_font_options_destroy(opts);
}

void TextPainter::Draw(double x, double y, const std::string& text) {
  cairo_move_to(cr_, x, y);
  cairo_show_text(cr_, SanitizeUtf8(text).c_str());
}

PixelTextPainter::PixelTextPainter(FontFace face, double px) : face_(face), px_(px) {}

void PixelTextPainter::Draw(const ArgbCanvas& canvas, double x, double y, std::string_view text,
                            uint32_t color) const {
  // The glyphs' coverage, summed over the canvas (kept zeroed between calls); the box bounds
  // what was touched.
  constexpr size_t kKeptArea = 256 << 10;
  thread_local std::vector<uint8_t> kept;
  std::vector<uint8_t> big;
  const size_t area = static_cast<size_t>(canvas.width) * canvas.height;
  std::vector<uint8_t>& coverage = area <= kKeptArea ? kept : big;
  if (coverage.size() < area) coverage.assign(area, 0);
  int bx0 = canvas.width, by0 = canvas.height, bx1 = 0, by1 = 0;  // [x0, x1) x [y0, y1)

  SizedFace& face = CachedFace(face_, px_);
  const int pen_y = SnapToPixel(y);
  double pen_x = x;
  for (size_t i = 0; i < text.size();) {
    const Glyph& g = face.Get(SanitizeCodepoint(NextCodepoint(text, &i)));
    int gx = SnapToPixel(pen_x) + g.left, gy = pen_y + g.top;
    pen_x += g.advance;
    int x0 = std::max(gx, 0), x1 = std::min(gx + g.width, canvas.width);
    int y0 = std::max(gy, 0), y1 = std::min(gy + g.height, canvas.height);
    if (x0 >= x1 || y0 >= y1) continue;
    bx0 = std::min(bx0, x0);
    bx1 = std::max(bx1, x1);
    by0 = std::min(by0, y0);
    by1 = std::max(by1, y1);
    for (int row = y0; row < y1; ++row) {
      const uint8_t* m = &g.mask[static_cast<size_t>(row - gy) * g.width + (x0 - gx)];
      uint8_t* c = &coverage[static_cast<size_t>(row) * canvas.width + x0];
      for (int col = x0; col < x1; ++col, ++m, ++c) {
        unsigned sum = *c + *m;
        *c = static_cast<uint8_t>(sum > 255 ? 255 : sum);
      }
    }
  }

  // (color IN coverage) OVER the canvas, with pixman's 8-bit arithmetic; clears the coverage.
  for (int row = by0; row < by1; ++row) {
    uint8_t* c = &coverage[static_cast<size_t>(row) * canvas.width];
    uint32_t* d = canvas.data + static_cast<size_t>(row) * canvas.stride;
    for (int col = bx0; col < bx1; ++col) {
      uint32_t m = c[col];
      if (m == 0) continue;
      c[col] = 0;
      uint32_t s = m == 255 ? color : Mul(color, m);
      d[col] = MulAdd(d[col], 255 - (s >> 24), s);
    }
  }
}

}  // namespace ccci::render
