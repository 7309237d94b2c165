#pragma once
// GiteaClient: ForgeClient over Gitea's REST API with libcurl and RapidJSON. Every call has a
// timeout; connection errors, 5xx and 429 are retried with exponential backoff; other 4xx are
// returned at once as a Status carrying Gitea's message. The token goes only into the
// Authorization header (`token <T>`), never into a log line or an error.

#include <rapidjson/fwd.h>

#include <chrono>
#include <functional>
#include <string>

#include "bot/forge/forge_client.h"
#include "bot/forge/issue_writer.h"
#include "bot/forge/repo_writer.h"

namespace ccci {

class GiteaClient : public ForgeClient, public RepoWriter, public IssueWriter {
 public:
  struct Options {
    std::string base_url;  // https://git.coopcloud.tech (the API lives at /api/v1)
    std::string token;
    std::chrono::milliseconds timeout{10000};
    int max_attempts = 4;
    std::chrono::milliseconds first_backoff{500};
    // Waits between attempts; tests pass one that returns at once.
    std::function<void(std::chrono::milliseconds)> sleep;
  };
  explicit GiteaClient(Options options);

  Result<int64_t> CreateComment(const std::string& repo, int64_t issue,
                                const std::string& body) override;
  Status EditComment(const std::string& repo, int64_t comment_id, const std::string& body) override;
  Result<std::vector<ForgeComment>> ListComments(const std::string& repo, int64_t issue) override;
  Status CreateStatus(const std::string& repo, const std::string& sha,
                      const CommitStatusRequest& status) override;
  Result<std::string> GetPermission(const std::string& repo, const std::string& login) override;
  Status AddReaction(const std::string& repo, int64_t comment_id,
                     const std::string& content) override;
  Result<ForgePull> GetPullRequest(const std::string& repo, int64_t number) override;
  Result<std::vector<ForgePull>> ListOpenPullRequests(const std::string& repo) override;
  Result<std::vector<ForgeComment>> ListRepoComments(const std::string& repo,
                                                     const std::string& since) override;
  Result<ForgeFile> GetFile(const std::string& repo, const std::string& path,
                            const std::string& ref) override;
  Status PutFile(const std::string& repo, const std::string& path,
                 const FileChange& change) override;
  Result<int64_t> CreatePullRequest(const std::string& repo, const PullRequestOptions& pr) override;
  Status EditPullRequest(const std::string& repo, int64_t number,
                         const PullRequestEdit& edit) override;

  Result<BranchHead> GetDefaultBranchHead(const std::string& repo) override;
  Result<int64_t> CreateIssue(const std::string& repo, const std::string& title,
                              const std::string& body) override;
  Status EditIssue(const std::string& repo, int64_t number, const IssueEdit& edit) override;
  Result<std::vector<ForgeIssue>> ListOpenIssues(const std::string& repo,
                                                 const std::string& author) override;

  // For `cc-ci doctor`, not the ForgeClient slice: what the token is and may do.
  // GET /user: the login the token belongs to (needs the read:user scope).
  Result<std::string> CurrentUser();
  struct RepoAccess {
    bool admin = false;  // may read other users' permissions (FACTS.md 4.5)
    bool push = false;   // may post commit statuses (FACTS.md 4.3)
  };
  // GET /repos/{o}/{r}: the token user's permissions on the repo.
  Result<RepoAccess> GetRepoAccess(const std::string& repo);
  // Whether the token has the write:issue scope (comments, reactions), asked without
  // changing anything: editing comment 0, which never exists, is refused with 403 for a
  // missing scope before Gitea looks the comment up (404). FACTS.md 4.1.
  Result<bool> CanWriteIssues(const std::string& repo);

  struct Response {
    long status = 0;
    std::string body;
  };
  // One API call with retries (up to `max_attempts`; 0: Options::max_attempts). `path` starts
  // with /repos/...; `json` empty for no body.
  Result<Response> Call(const std::string& method, const std::string& path, const std::string& json,
                        int max_attempts = 0);

 private:
  Status ForEachPage(const std::string& path, const std::string& filters, const char* what,
                     const std::function<void(const rapidjson::Value&)>& each);
  Result<Response> CallOnce(const std::string& method, const std::string& url,
                            const std::string& json);
  Options options_;
};

// Gitea's path escaping for one segment (owner, repo, login, sha).
std::string EscapePathSegment(const std::string& s);

}  // namespace ccci
