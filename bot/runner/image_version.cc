#include "bot/runner/image_version.h"

#include <cctype>

namespace ccci::runner {

ImageRef SplitImage(const std::string& image) {
  std::string s = image.substr(0, image.find('@'));
  size_t slash = s.rfind('/');
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) {
    return {s, "latest"};
  }
  return {s.substr(0, colon), s.substr(colon + 1)};
}

std::optional<std::vector<long>> TagVersion(const std::string& tag) {
  size_t i = (!tag.empty() && (tag[0] == 'v' || tag[0] == 'V')) ? 1 : 0;
  std::vector<long> parts;
  for (;;) {
    size_t start = i;
    long n = 0;
    while (i < tag.size() && std::isdigit(static_cast<unsigned char>(tag[i])) && i - start < 12) {
      n = n * 10 + (tag[i] - '0');
      ++i;
    }
    if (i == start) return std::nullopt;
    parts.push_back(n);
    if (i < tag.size() && tag[i] == '.' && i + 1 < tag.size() &&
        std::isdigit(static_cast<unsigned char>(tag[i + 1]))) {
      ++i;
      continue;
    }
    break;
  }
  // What follows the version must separate it ("-alpine", "+build"), not continue a word
  // ("1a2b3c" is a sha, "2.4.8rc1" a pre-release cc-ci cannot order).
  if (i < tag.size() && std::isalnum(static_cast<unsigned char>(tag[i]))) return std::nullopt;
  return parts;
}

std::optional<int> CompareTags(const std::string& a, const std::string& b) {
  auto va = TagVersion(a), vb = TagVersion(b);
  if (!va || !vb) return std::nullopt;
  size_t n = std::max(va->size(), vb->size());
  for (size_t k = 0; k < n; ++k) {
    long x = k < va->size() ? (*va)[k] : 0, y = k < vb->size() ? (*vb)[k] : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

}  // namespace ccci::runner
