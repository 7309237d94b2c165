#pragma once
// The README scores PR (issue 16). Co-op Cloud's maintainers keep their README's metadata
// block by hand, so it goes stale; on a default-branch run whose measured scores
// (bot/runner/readme_scores.h) differ from the README, cc-ci keeps ONE pull request on the
// recipe, from branch cc-ci/readme-scores to the default branch, that changes only the
// metadata block. Each delivery starts from the default branch's README as it is now: the
// branch is rebuilt on it (Gitea's contents API with new_branch and force_push, so the PR's
// diff is the block and nothing else), the open PR is edited or, when there is none, one is
// opened; when the README already agrees, an open one is closed. A delivery repeated after a
// failure (the outbox retries) ends in the same state: never a second PR.

#include <functional>
#include <map>
#include <string>

#include "base/status.h"
#include "bot/forge/repo_writer.h"

namespace ccci {

inline constexpr const char* kReadmeScoresBranch = "cc-ci/readme-scores";

struct ReadmePrRequest {
  std::string base;                           // the default branch
  std::map<std::string, std::string> scores;  // as measured (key -> value)
  std::string sha;                            // the commit they were measured on
  std::string run_url;
};

std::string ReadmePrPayload(const ReadmePrRequest& request);
Result<ReadmePrRequest> ParseReadmePrPayload(const std::string& json);

// What the delivery did: "opened #N", "updated #N", "#N is up to date", "closed #N: ...",
// or why there was nothing to do. Forge errors come back as they are (the outbox retries the
// retryable ones).
Result<std::string> DeliverReadmePr(RepoWriter* forge, const std::string& repo,
                                    const ReadmePrRequest& request);

// The outbox's deliverer of "readme" messages (Outbox::Options::deliver_readme): parses the
// payload, delivers, logs what it did. `forge` must outlive it.
std::function<Status(const std::string& repo, const std::string& payload)> ReadmePrSender(
    RepoWriter* forge);

}  // namespace ccci
