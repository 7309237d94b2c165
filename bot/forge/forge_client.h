#pragma once
// ForgeClient: the slice of the Gitea API cc-ci uses (shared/gitea/FACTS.md section 4). The
// real implementation is GiteaClient (libcurl); tests use a fake Gitea server, and
// consumers take only the methods they need. Issue and PR numbers are `issue.number`, never
// database ids.

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace ccci {

struct ForgeComment {
  int64_t id = 0;
  int64_t issue_number = 0;  // from the comment's html_url (…/pulls/17#issuecomment-9012)
  std::string author;
  std::string body;
  std::string created_at;
};

struct CommitStatusRequest {
  std::string state;  // pending | success | failure | error
  std::string target_url;
  std::string description;
  std::string context;  // cc-ci/recipe
};

struct ForgePull {
  int64_t number = 0;
  std::string state;  // open | closed
  std::string title;
  std::string author;
  std::string head_sha;
  std::string head_ref;
  std::string base_ref;
  bool merged = false;
};

class ForgeClient {
 public:
  virtual ~ForgeClient() = default;
  // repo is "owner/name".
  virtual Result<int64_t> CreateComment(const std::string& repo, int64_t issue,
                                        const std::string& body) = 0;
  virtual Status EditComment(const std::string& repo, int64_t comment_id,
                             const std::string& body) = 0;
  virtual Result<std::vector<ForgeComment>> ListComments(const std::string& repo,
                                                         int64_t issue) = 0;
  virtual Status CreateStatus(const std::string& repo, const std::string& sha,
                              const CommitStatusRequest& status) = 0;
  // none | read | write | admin | owner
  virtual Result<std::string> GetPermission(const std::string& repo, const std::string& login) = 0;
  virtual Status AddReaction(const std::string& repo, int64_t comment_id,
                             const std::string& content) = 0;
  virtual Result<ForgePull> GetPullRequest(const std::string& repo, int64_t number) = 0;
  virtual Result<std::vector<ForgePull>> ListOpenPullRequests(const std::string& repo) = 0;
  // Comments of the whole repo updated since `since` (RFC 3339), all pages.
  virtual Result<std::vector<ForgeComment>> ListRepoComments(const std::string& repo,
                                                             const std::string& since) = 0;
};

}  // namespace ccci
