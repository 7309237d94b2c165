#include "renderer/text_painter.h"

#include <cairo-ft.h>
#include <ft2build.h>
#include FT_FREETYPE_H

#include <mutex>
#include <stdexcept>

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

}  // namespace

std::string SanitizeUtf8(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = NextCodepoint(text, &i);
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    AppendUtf8(out, cp);
  }
  return out;
}

TextPainter::TextPainter(cairo_t* cr, FontFace face, double px) : cr_(cr) {
  cairo_set_font_face(cr_, CairoFace(face));
  cairo_set_font_size(cr_, px);
  cairo_font_options_t* opts = cairo_font_options_create();
  cairo_font_options_set_hint_metrics(opts, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style(opts, CAIRO_HINT_STYLE_SLIGHT);
  cairo_font_options_set_antialias(opts, CAIRO_ANTIALIAS_GRAY);
  cairo_set_font_options(cr_, opts);
  cairo_font_options_destroy(opts);
}

void TextPainter::Draw(double x, double y, const std::string& text) {
  cairo_move_to(cr_, x, y);
  cairo_show_text(cr_, SanitizeUtf8(text).c_str());
}

}  // namespace ccci::render
