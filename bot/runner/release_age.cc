#include "bot/runner/release_age.h"

#include <cstdio>
#include <sstream>

#include "bot/runner/release_tag.h"

namespace ccci::runner {
namespace {

constexpr double kMonthSeconds = 365.2425 / 12 * 86400;

std::string OneDecimal(double v) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%.1f", v);
  return buf;
}

}  // namespace

std::vector<TagDate> ParseTagDates(std::string_view output) {
  std::vector<TagDate> out;
  std::istringstream in{std::string(output)};
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    size_t space = line.rfind(' ');
    if (space == std::string::npos || space == 0) continue;
    std::string digits = line.substr(space + 1);
    if (digits.empty() || digits.size() > 12 ||
        digits.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    out.push_back({line.substr(0, space), std::stoll(digits)});
  }
  return out;
}

ReleaseAge CheckReleaseAge(const std::vector<TagDate>& tags, int64_t now_s, int months) {
  ReleaseAge r;
  std::optional<ReleaseTag> newest;
  int64_t date = 0;
  for (const TagDate& t : tags) {
    auto parsed = ParseReleaseTag(t.tag);
    if (!parsed) continue;
    if (!newest || ReleaseLess(*newest, *parsed)) {
      newest = parsed;
      date = t.unix_s;
    }
  }
  if (!newest) {
    r.reason = "no release yet (no x.y.z+upstream tag)";
    return r;
  }
  r.newest = newest->raw;
  r.age_months = static_cast<double>(now_s - date) / kMonthSeconds;
  if (r.age_months < 0) r.age_months = 0;
  r.fresh = now_s - date <= static_cast<int64_t>(months * kMonthSeconds);
  r.reason =
      "the newest release " + r.newest + " is " + OneDecimal(r.age_months) + " months old" +
      (r.fresh ? "" : ", more than levels.maintained_months (" + std::to_string(months) + ")");
  return r;
}

}  // namespace ccci::runner
