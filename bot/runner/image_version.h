#pragma once
// Comparing the versions in image tags, for "an image tag that goes backwards" (rung 6). Only
// tags that start with a version compare: "v2.4.8", "1.0.6-social-amd64" (1.0.6), "17-3.5"
// (17), "20240101". "latest", "stable", "alpine", a commit sha or "2.4.8rc1" do not: cc-ci
// cannot tell their order, so they never fail a check.

#include <optional>
#include <string>
#include <vector>

namespace ccci::runner {

struct ImageRef {
  std::string repo;  // docker.io/library/x stays as written
  std::string tag;   // "latest" when none is given
};

// "traefik:v2.4.8" -> {traefik, v2.4.8}; a registry port is not a tag ("host:5000/x");
// an @sha256 digest is dropped.
ImageRef SplitImage(const std::string& image);

// The numbers of the version a tag starts with, nullopt when it does not start with one.
std::optional<std::vector<long>> TagVersion(const std::string& tag);

// -1, 0 or 1 as `a` is older, the same or newer than `b` (missing parts count as 0); nullopt
// when either tag is not a version.
std::optional<int> CompareTags(const std::string& a, const std::string& b);

}  // namespace ccci::runner
