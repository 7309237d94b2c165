#pragma once
// The slice of the Gitea API that changes a repository through a pull request: read a file,
// commit a new version of it to a branch, list, open and edit pull requests (Gitea's
// swagger.v1.json: GET/PUT /repos/{owner}/{repo}/contents/{filepath}, GET/POST
// /repos/{owner}/{repo}/pulls, PATCH /repos/{owner}/{repo}/pulls/{index}). GiteaClient
// implements it; cc-ci uses it for the README scores PR (bot/report/readme_pr.h).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "bot/forge/forge_client.h"

namespace ccci {

struct ForgeFile {
  std::string path;
  std::string sha;      // the blob's, needed to change it
  std::string content;  // decoded
};

// A new version of one file (UpdateFileOptions).
struct FileChange {
  std::string content;      // the whole new content, not encoded
  std::string sha;          // the blob being replaced, as GetFile returned it on `branch`
  std::string branch;       // the branch the change starts from
  std::string new_branch;   // when set, the commit goes to this branch instead
  bool force_push = false;  // ... replacing it if it exists
  std::string message;      // the commit message
};

struct PullRequestOptions {
  std::string head, base, title, body;
};

struct PullRequestEdit {
  std::optional<std::string> title, body, state;  // state: open | closed
};

class RepoWriter {
 public:
  virtual ~RepoWriter() = default;
  // NotFound when `ref` has no such file.
  virtual Result<ForgeFile> GetFile(const std::string& repo, const std::string& path,
                                    const std::string& ref) = 0;
  virtual Status PutFile(const std::string& repo, const std::string& path,
                         const FileChange& change) = 0;
  virtual Result<std::vector<ForgePull>> ListOpenPullRequests(const std::string& repo) = 0;
  // The new PR's number.
  virtual Result<int64_t> CreatePullRequest(const std::string& repo,
                                            const PullRequestOptions& pr) = 0;
  virtual Status EditPullRequest(const std::string& repo, int64_t number,
                                 const PullRequestEdit& edit) = 0;
};

}  // namespace ccci
