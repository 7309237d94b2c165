#pragma once
// Text from untrusted bytes made safe to store and show: valid UTF-8 only, and bounded.

#include <cstddef>
#include <string>
#include <string_view>

namespace ccci {

// `in` with every invalid UTF-8 sequence (stray continuation bytes, overlong forms,
// surrogates, code points above U+10FFFF, a sequence cut short) replaced by U+FFFD, one per
// offending byte.
std::string ValidUtf8(std::string_view in);

// At most `max_chars` code points of `valid` (which must be valid UTF-8), cut on a character
// boundary; "…" replaces the last kept character when anything was cut.
std::string TruncateUtf8(std::string_view valid, size_t max_chars);

}  // namespace ccci
