#pragma once
// Typed Gitea webhook events, parsed with RapidJSON from the raw body. Only the fields cc-ci
// acts on are read; unknown fields are ignored, so payloads from Gitea 1.22 to 1.27 all parse
// (see shared/gitea/FACTS.md section 5: optional before/after, optional top-level
// pull_request on comments, review_comments absent or 0, \u003c-escaped text).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "base/status.h"

namespace ccci {

struct RepoInfo {
  std::string full_name;  // owner/name: the key cc-ci uses everywhere
  std::string clone_url;
  std::string html_url;
  std::string default_branch;
  // repository.permissions: in comment payloads these are the commenter's (FACTS 2.3).
  std::optional<bool> can_push;
  std::optional<bool> is_admin;
};

struct PullRequestEvent {
  std::string action;  // opened, reopened, synchronized, closed, edited, label_updated, ...
  int64_t number = 0;  // the PR's index: what the API calls take (not pull_request.id)
  std::string title;
  std::string state;   // open | closed
  std::string author;  // pull_request.user.login
  std::string head_sha;
  std::string head_ref;
  std::string head_clone_url;  // the fork's clone URL for fork PRs
  std::string base_ref;
  bool merged = false;
  bool draft = false;
  bool ref_changed = false;  // edited with changes.ref (target branch changed)
  std::optional<int64_t> updated_at_ms;  // pull_request.updated_at
  std::string html_url;
  RepoInfo repo;
  std::string sender;
};

struct IssueCommentEvent {
  std::string action;  // created | edited | deleted
  bool is_pull = false;
  int64_t issue_number = 0;  // issue.number: what the API calls take (not issue.id)
  std::string issue_state;   // open | closed
  std::string issue_title;
  std::string issue_author;
  int64_t comment_id = 0;
  std::string comment_body;
  std::string comment_author;
  std::string comment_html_url;
  // From the top-level pull_request (Gitea 1.23+); empty when absent.
  std::string pr_head_sha;
  std::string pr_head_ref;
  std::string pr_base_ref;
  RepoInfo repo;
  std::string sender;
};

struct PushEvent {
  std::string ref;  // refs/heads/main
  std::string before;
  std::string after;  // all zeros when the branch was deleted
  RepoInfo repo;
  std::string sender;
};

using GiteaEvent = std::variant<PullRequestEvent, IssueCommentEvent, PushEvent>;

// True for the X-Gitea-Event values ParseGiteaEvent understands.
bool IsSupportedEvent(std::string_view x_gitea_event);

// Arrays and objects nested deeper than this are refused (Gitea's payloads nest about 6 deep).
inline constexpr int kMaxJsonDepth = 64;

// Parses `body` as the payload of `x_gitea_event` (pull_request, issue_comment, push).
// InvalidArgument with a one-line reason for bodies that are not JSON, nest deeper than
// kMaxJsonDepth, are not that event's shape ("pull_request.head.sha: missing or not a
// string") or hold a field cc-ci cannot safely use (payload_checks.h: a sha that is not a
// commit id, a repository name Gitea would not allow, a PR number below 1); NotFound for other
// events. Every string is valid UTF-8 (invalid sequences become U+FFFD) and titles are cut to
// kMaxTitleChars. Stack use is bounded by kMaxJsonDepth, whatever the body.
Result<GiteaEvent> ParseGiteaEvent(std::string_view x_gitea_event, std::string_view body);

}  // namespace ccci
