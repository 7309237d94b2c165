#include "domain/commit_id.h"

#include <algorithm>

namespace ccci::domain {

bool IsCommitSha(std::string_view s) {
  if (s.size() != 40 && s.size() != 64) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace ccci::domain
