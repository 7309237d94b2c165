#include "bot/intake/payload_checks.h"

#include <algorithm>

namespace ccci {
namespace {

bool NameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

bool Alnum(char c) { return NameChar(c) && c != '-' && c != '_' && c != '.'; }

bool ControlOrSpace(char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; }

Status Bad(const char* field, const char* rule) {
  return InvalidArgument(std::string(field) + ": " + rule);
}

Status CheckRepo(const RepoInfo& repo) {
  if (!IsRepoFullName(repo.full_name)) {
    return Bad("repository.full_name", "not owner/name as Gitea allows them");
  }
  if (!repo.clone_url.empty() && !IsStorableUrl(repo.clone_url)) {
    return Bad("repository.clone_url", "not a URL");
  }
  if (!repo.default_branch.empty() && !IsBranchName(repo.default_branch)) {
    return Bad("repository.default_branch", "not a branch name");
  }
  return Status::Ok();
}

Status CheckLogin(const char* field, const std::string& login) {
  return IsGiteaOwnerName(login) ? Status::Ok() : Bad(field, "not a Gitea login");
}

Status CheckPullRequest(const PullRequestEvent& e) {
  if (e.number <= 0) return Bad("pull_request.number", "not a positive number");
  if (!IsCommitSha(e.head_sha)) {
    return Bad("pull_request.head.sha", "not a commit id (40 or 64 lowercase hex digits)");
  }
  if (!e.head_ref.empty() && !IsBranchName(e.head_ref) &&
      e.head_ref != "refs/pull/" + std::to_string(e.number) + "/head") {
    return Bad("pull_request.head.ref", "not a branch name");
  }
  if (!e.base_ref.empty() && !IsBranchName(e.base_ref)) {
    return Bad("pull_request.base.ref", "not a branch name");
  }
  if (!e.head_clone_url.empty() && !IsStorableUrl(e.head_clone_url)) {
    return Bad("pull_request.head.repo.clone_url", "not a URL");
  }
  CCCI_RETURN_IF_ERROR(CheckLogin("pull_request.user.login", e.author));
  CCCI_RETURN_IF_ERROR(CheckLogin("sender.login", e.sender));
  return CheckRepo(e.repo);
}

Status CheckComment(const IssueCommentEvent& e) {
  if (e.issue_number <= 0) return Bad("issue.number", "not a positive number");
  if (e.comment_id <= 0) return Bad("comment.id", "not a positive number");
  if (!e.pr_head_sha.empty() && !IsCommitSha(e.pr_head_sha)) {
    return Bad("pull_request.head.sha", "not a commit id (40 or 64 lowercase hex digits)");
  }
  CCCI_RETURN_IF_ERROR(CheckLogin("issue.user.login", e.issue_author));
  CCCI_RETURN_IF_ERROR(CheckLogin("comment.user.login", e.comment_author));
  CCCI_RETURN_IF_ERROR(CheckLogin("sender.login", e.sender));
  return CheckRepo(e.repo);
}

Status CheckPush(const PushEvent& e) {
  if (!IsCommitSha(e.after)) return Bad("after", "not a commit id (40 or 64 lowercase hex digits)");
  if (!e.before.empty() && !IsCommitSha(e.before)) {
    return Bad("before", "not a commit id (40 or 64 lowercase hex digits)");
  }
  if (e.ref.rfind("refs/", 0) != 0 || !IsBranchName(e.ref)) return Bad("ref", "not a git ref");
  CCCI_RETURN_IF_ERROR(CheckLogin("sender.login", e.sender));
  return CheckRepo(e.repo);
}

}  // namespace

bool IsGiteaOwnerName(std::string_view s) {
  return !s.empty() && s.size() <= 40 && Alnum(s.front()) &&
         std::all_of(s.begin(), s.end(), NameChar);
}

bool IsGiteaRepoName(std::string_view s) {
  return !s.empty() && s.size() <= 100 && s != "." && s != "-" &&
         s.find("..") == std::string_view::npos && std::all_of(s.begin(), s.end(), NameChar);
}

bool IsRepoFullName(std::string_view s) {
  size_t slash = s.find('/');
  return slash != std::string_view::npos && IsGiteaOwnerName(s.substr(0, slash)) &&
         IsGiteaRepoName(s.substr(slash + 1));
}

bool IsBranchName(std::string_view s) {
  if (s.empty() || s.size() > 255 || s.front() == '-' || s.front() == '/' || s.back() == '/' ||
      s.back() == '.') {
    return false;
  }
  if (s.find("..") != std::string_view::npos || s.find("//") != std::string_view::npos ||
      s.find("@{") != std::string_view::npos || s == "@") {
    return false;
  }
  return std::none_of(s.begin(), s.end(), [](char c) {
    return ControlOrSpace(c) || std::string_view("~^:?*[\\").find(c) != std::string_view::npos;
  });
}

bool IsStorableUrl(std::string_view s) {
  return !s.empty() && s.size() <= 2048 && s.front() != '-' &&
         std::none_of(s.begin(), s.end(), ControlOrSpace);
}

Status CheckEvent(const GiteaEvent& event) {
  if (auto* pr = std::get_if<PullRequestEvent>(&event)) return CheckPullRequest(*pr);
  if (auto* c = std::get_if<IssueCommentEvent>(&event)) return CheckComment(*c);
  return CheckPush(std::get<PushEvent>(event));
}

}  // namespace ccci
