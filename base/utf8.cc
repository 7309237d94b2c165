#include "base/utf8.h"

namespace ccci {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::string_view kEllipsis = "\xE2\x80\xA6";     // U+2026

bool Continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// The length of the valid sequence starting at in[i], or 0 when it is not one. The second
// byte's range rules out overlong forms, surrogates and code points above U+10FFFF.
size_t SequenceLength(std::string_view in, size_t i) {
  auto at = [&](size_t k) { return static_cast<unsigned char>(in[k]); };
  unsigned char c = at(i);
  if (c < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > in.size()) return 0;
  if (at(i + 1) < lo || at(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (!Continuation(at(i + k))) return 0;
  }
  return n;
}

}  // namespace

std::string ValidUtf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size();) {
    size_t n = SequenceLength(in, i);
    if (n == 0) {
      out += kReplacement;
      ++i;
    } else {
      out.append(in.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string TruncateUtf8(std::string_view valid, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < valid.size(); ++i) {
    if (Continuation(static_cast<unsigned char>(valid[i]))) continue;
    if (chars == max_chars) {
      // Too long: keep max_chars - 1 characters and the ellipsis.
      size_t cut = i;
      if (max_chars == 0) return "";
      do {
        --cut;
      } while (cut > 0 && Continuation(static_cast<unsigned char>(valid[cut])));
      return std::string(valid.substr(0, cut)) + std::string(kEllipsis);
    }
    ++chars;
  }
  return std::string(valid);
}

}  // namespace ccci
