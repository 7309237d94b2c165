#pragma once
// The bundled DejaVu Sans fonts (assets/fonts), embedded in the binary so output is the same
// on every machine and needs no font lookup, and text metrics read from the TTF's own cmap and
// hmtx tables (advance widths; no hinting, no kerning), as shields.io measures its badges.

#include <cstdint>
#include <string_view>
#include <vector>

namespace ccci::render {

enum class FontFace { kRegular, kBold };

// The TTF file's bytes. Valid for the life of the process.
std::string_view FontData(FontFace face);

class FontMetrics {
 public:
  // The metrics of a bundled face; parsed once, thread-safe afterwards.
  static const FontMetrics& Get(FontFace face);

  // Width in pixels of UTF-8 `text` at `px` pixels per em. Invalid UTF-8 bytes count as
  // U+FFFD; characters the font lacks use its .notdef advance.
  double TextWidth(std::string_view text, double px) const;

 private:
  explicit FontMetrics(std::string_view ttf);
  uint16_t GlyphIndex(uint32_t codepoint) const;

  int units_per_em_ = 2048;
  std::vector<uint16_t> advances_;    // by glyph index
  std::vector<uint16_t> bmp_glyphs_;  // codepoint (0..0xFFFF) -> glyph index
};

// Decodes one UTF-8 code point at `i`, advancing `i`; U+FFFD for invalid sequences.
uint32_t NextCodepoint(std::string_view s, size_t* i);

}  // namespace ccci::render
