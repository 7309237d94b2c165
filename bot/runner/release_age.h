#pragma once
// Rung 8's first half: the recipe's newest release is at most `months` old. Releases are the
// x.y.z+upstream tags (release_tag.h); the newest is the highest version, its age its tag's
// date, as the runner reads them:
//   git for-each-ref --format='%(refname:short) %(creatordate:unix)' refs/tags
// (creatordate is the tagger's date of an annotated tag, the commit's of a lightweight one).
// A month is an average Gregorian month (365.2425 / 12 days).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ccci::runner {

struct TagDate {
  std::string tag;
  int64_t unix_s = 0;
};

// Lines "<tag> <unix seconds>"; lines that are not are left out.
std::vector<TagDate> ParseTagDates(std::string_view output);

struct ReleaseAge {
  bool fresh = false;
  std::string newest;  // the newest release tag, "" when there is none
  double age_months = 0;
  std::string reason;  // one line, for the stage: why (not) fresh
};

ReleaseAge CheckReleaseAge(const std::vector<TagDate>& tags, int64_t now_s, int months);

}  // namespace ccci::runner
