#pragma once
// Co-op Cloud recipe release tags: "x.y.z+upstream" (e.g. "2.0.1+1.0.6-social-amd64").
// Ordering is by x.y.z only; the upstream part is a label. Tags that do not parse
// (e.g. traefik's old "v2.4.8") are not releases and are ignored by PreviousRelease.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ccci::runner {

struct ReleaseTag {
  int major = 0, minor = 0, patch = 0;
  std::string upstream;  // after '+', may be empty
  std::string raw;
};

// nullopt unless `tag` is digits.digits.digits, optionally followed by "+<non-empty>".
std::optional<ReleaseTag> ParseReleaseTag(std::string_view tag);

// Strict ordering by (major, minor, patch).
bool ReleaseLess(const ReleaseTag& a, const ReleaseTag& b);

// The newest release strictly older than `head` (the PR head's own release tag, if it has
// one); with no head version, the newest release overall. nullopt when none qualifies.
std::optional<ReleaseTag> PreviousRelease(const std::vector<std::string>& tags,
                                          const std::optional<ReleaseTag>& head);

// From git's answers, one tag a line ("\r" tolerated): `git tag --list` and `git tag
// --points-at <head>`. `head` is the head's own release tag, `previous` the release before it
// (PreviousRelease).
struct ReleasesAtHead {
  std::optional<ReleaseTag> head;
  std::optional<ReleaseTag> previous;
};
ReleasesAtHead ReleasesFromGit(std::string_view tag_list, std::string_view points_at);

}  // namespace ccci::runner
