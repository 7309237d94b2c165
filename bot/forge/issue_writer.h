#pragma once
// The slice of the Gitea API behind nightly runs and their regression issues (Gitea's
// swagger.v1.json): a repo's default branch and its head (GET /repos/{owner}/{repo}, GET
// /repos/{owner}/{repo}/branches/{branch}), and issues opened, edited and closed (POST
// /repos/{owner}/{repo}/issues, PATCH /repos/{owner}/{repo}/issues/{index}; comments on them
// go through ForgeClient::CreateComment), and the open issues a user opened (GET
// /repos/{owner}/{repo}/issues). GiteaClient implements it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace ccci {

// A repo's default branch as it is now.
struct BranchHead {
  std::string branch;     // the repo's default_branch
  std::string sha;        // its head commit
  std::string clone_url;  // the repo's clone_url
};

// An issue as Gitea lists it.
struct ForgeIssue {
  int64_t number = 0;
  std::string title, body;
};

struct IssueEdit {
  std::optional<std::string> title, body, state;  // state: open | closed
};

class IssueWriter {
 public:
  virtual ~IssueWriter() = default;
  // NotFound for a repo that does not exist; FailedPrecondition for an empty or archived one.
  virtual Result<BranchHead> GetDefaultBranchHead(const std::string& repo) = 0;
  // The new issue's number. Sent once, never retried by the writer itself: Gitea has no
  // idempotency key for issues, so an answer lost after Gitea created one would open a second.
  // A caller that tries again looks for it first (ListOpenIssues).
  virtual Result<int64_t> CreateIssue(const std::string& repo, const std::string& title,
                                      const std::string& body) = 0;
  // The open issues (no pull requests) of `repo` that `author` opened, newest first, every
  // page; with `author` empty, anyone's. NotFound when Gitea knows no such repo or user.
  virtual Result<std::vector<ForgeIssue>> ListOpenIssues(const std::string& repo,
                                                         const std::string& author) = 0;
  virtual Status EditIssue(const std::string& repo, int64_t number, const IssueEdit& edit) = 0;
};

}  // namespace ccci
