#pragma once
// Percent-encoding for URL paths (RFC 3986): everything but the unreserved characters
// (letters, digits, '-', '_', '.', '~') and those in `also_keep` becomes %XX.

#include <string>
#include <string_view>

namespace ccci {

std::string PercentEncode(std::string_view s, std::string_view also_keep = "");

}  // namespace ccci
