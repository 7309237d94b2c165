#include "bot/runner/release_tag.h"

#include <charconv>
#include <sstream>
#include <tuple>

namespace ccci::runner {
namespace {

// Parses digits up to `stop` (or the end); advances `s`.
bool TakeNumber(std::string_view& s, int& out) {
  if (s.empty() || s[0] < '0' || s[0] > '9') return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc()) return false;
  s.remove_prefix(static_cast<size_t>(p - s.data()));
  return true;
}

}  // namespace

std::optional<ReleaseTag> ParseReleaseTag(std::string_view tag) {
  ReleaseTag t;
  t.raw = std::string(tag);
  std::string_view s = tag;
  if (!TakeNumber(s, t.major) || s.empty() || s[0] != '.') return std::nullopt;
  s.remove_prefix(1);
  if (!TakeNumber(s, t.minor) || s.empty() || s[0] != '.') return std::nullopt;
  s.remove_prefix(1);
  if (!TakeNumber(s, t.patch)) return std::nullopt;
  if (s.empty()) return t;
  if (s[0] != '+' || s.size() == 1) return std::nullopt;
  t.upstream = std::string(s.substr(1));
  return t;
}

bool ReleaseLess(const ReleaseTag& a, const ReleaseTag& b) {
  return std::tie(a.major, a.minor, a.patch) < std::tie(b.major, b.minor, b.patch);
}

std::optional<ReleaseTag> PreviousRelease(const std::vector<std::string>& tags,
                                          const std::optional<ReleaseTag>& head) {
  std::optional<ReleaseTag> best;
  for (const auto& raw : tags) {
    auto t = ParseReleaseTag(raw);
    if (!t) continue;
    if (head && !ReleaseLess(*t, *head)) continue;
    if (!best || ReleaseLess(*best, *t)) best = std::move(t);
  }
  return best;
}

ReleasesAtHead ReleasesFromGit(std::string_view tag_list, std::string_view points_at) {
  auto lines = [](std::string_view text) {
    std::vector<std::string> out;
    std::istringstream in{std::string(text)};
    for (std::string l; std::getline(in, l);) {
      while (!l.empty() && (l.back() == '\r' || l.back() == ' ')) l.pop_back();
      if (!l.empty()) out.push_back(l);
    }
    return out;
  };
  ReleasesAtHead r;
  for (const std::string& l : lines(points_at)) {
    if (auto t = ParseReleaseTag(l)) r.head = t;
  }
  r.previous = PreviousRelease(lines(tag_list), r.head);
  return r;
}

}  // namespace ccci::runner
