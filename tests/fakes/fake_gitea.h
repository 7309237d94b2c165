#pragma once
// A fake Gitea API server for tests: a real Poco HTTP server on port 0 that checks every
// request against Gitea's own swagger.v1.json (path template, method, required body fields,
// `Authorization: token ...`), records it as "METHOD /path body", keeps the state the calls
// change (comments, statuses, reactions) and can be told to fail.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <rapidjson/document.h>

namespace Poco {
class URI;
namespace Net {
class HTTPServer;
}
}  // namespace Poco

namespace ccci::testing {

class FakeGitea {
 public:
  struct Comment {
    int64_t id;
    int64_t issue;
    std::string author;
    std::string body;
  };
  struct StatusRow {
    std::string sha, state, context, description, target_url;
  };
  // A pull request opened through the API (POST .../pulls).
  struct Pull {
    int64_t number = 0;
    std::string head, base, title, body, state;
  };

  // An issue opened through the API (POST .../issues, by the token's user) or by AddIssue;
  // issues and PRs share one numbering.
  struct Issue {
    int64_t number = 0;
    std::string title, body, state, author;
  };

  // Loads the spec from shared/gitea/swagger.v1.json; `token` is the one accepted.
  explicit FakeGitea(const std::string& token);
  ~FakeGitea();

  uint16_t port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // The next `n` requests get HTTP `status` (e.g. 503) instead of an answer.
  // With `method`, only requests of that method count (and fail).
  void FailNext(int n, int status, const std::string& method = "");
  // The next `n` requests (of `method` and with a path ending in `path_end`, if given) are
  // carried out, but their answer is lost on the way back: the client gets a proxy's 504
  // Gateway Timeout, as when Gitea was slow to answer a request it then completed.
  void LoseNextAnswer(int n, const std::string& method = "", const std::string& path_end = "");
  void SetPermission(const std::string& login, const std::string& permission);
  void AddComment(int64_t issue, const std::string& author, const std::string& body);
  // A comment with a given id, e.g. one a webhook payload in the test describes.
  void AddCommentWithId(int64_t id, int64_t issue, const std::string& author, const std::string& body);
  void AddOpenPulls(int n);  // pulls numbered 1..n, head sha "sha<N>"
  // Whose the token is (GET /user; default "cc-ci") and what it may do on every repo
  // (GET /repos/{o}/{r} `permissions`; default admin and push).
  void SetTokenUser(const std::string& login);
  void SetRepoAccess(bool admin, bool push);
  // The token's scopes, as Gitea enforces them per route category (user, issue,
  // repository; FACTS.md 4.1): a request outside them gets Gitea's 403. Default:
  // read:user, write:issue, write:repository (write covers read).
  void SetTokenScopes(const std::vector<std::string>& scopes);
  // PR `n` is closed (merged or not): left out of the open list, and GET .../pulls/n says so.
  void ClosePull(int64_t n, bool merged);
  void ReopenPull(int64_t n);
  // GET .../pulls/n says the PR's head is `sha` (a push to its branch).
  void SetPullHead(int64_t n, const std::string& sha);

  std::vector<std::string> requests();    // "POST /api/v1/repos/o/r/issues/17/comments {...}"
  std::vector<std::string> violations();  // requests the spec does not allow; must stay empty
  std::vector<Comment> comments();
  std::vector<StatusRow> statuses();
  std::vector<std::string> reactions();  // "<comment id>:<content>"
  // The repo's files per branch, as the contents API reads and writes them (Gitea's rules: a
  // change names the blob it replaces; a new branch that exists needs force_push). "main" is
  // the default branch.
  void SetFile(const std::string& branch, const std::string& path, const std::string& content);
  std::optional<std::string> File(const std::string& branch, const std::string& path);
  int Commits(const std::string& branch);  // commits the contents API made on `branch`
  std::vector<Pull> pulls();
  // The repo's default branch (GET /repos/{o}/{r} default_branch; "main" unless set) and a
  // branch's head (GET .../branches/{branch}; "main" has one from the start).
  void SetDefaultBranch(const std::string& branch);
  void SetBranchHead(const std::string& branch, const std::string& sha);
  // Repo "owner/name"'s `branch` has head `sha` (it wins over SetBranchHead for that repo):
  // several recipes served at once, each with its own commits.
  void SetRepoBranchHead(const std::string& repo, const std::string& branch,
                         const std::string& sha);
  void SetArchived(bool archived);
  std::vector<Issue> issues();
  // An open issue `author` opened (through the web UI, say); returns its number.
  int64_t AddIssue(const std::string& author, const std::string& title, const std::string& body);

  // Handles one request; returns the status and fills `out`. Public for the handler.
  int Handle(const std::string& method, const std::string& uri, const std::string& auth,
             const std::string& body, std::string* out);

 private:
  int Answer(const std::string& method, const std::string& uri, const std::string& auth,
             const std::string& body, std::string* out);
  // The path, method, body and query parameters against swagger.v1.json.
  bool CheckSpec(const std::string& method, const std::string& path, const std::string& body,
                 const Poco::URI& uri, std::string* why);
  // Files and pull requests (fake_gitea_repo.cc): -1 when the request is not about them.
  // `s` is the path split on '/' (api v1 repos o r ...). Called with mu_ held.
  int HandleRepo(const std::string& method, const std::vector<std::string>& s,
                 const Poco::URI& uri, const std::string& body, std::string* out);
  int GetContents(const std::string& path, const Poco::URI& uri, std::string* out);
  int PutContents(const std::string& path, const rapidjson::Document& body, std::string* out);
  int CreatePull(const rapidjson::Document& body, std::string* out);
  int EditPull(const std::string& number, const rapidjson::Document& body, std::string* out);
  std::string PullJson(const Pull& p);
  int CreateIssue(const rapidjson::Document& body, std::string* out);
  int ListIssues(const Poco::URI& uri, std::string* out);
  int EditIssue(const std::string& number, const rapidjson::Document& body, std::string* out);
  std::string IssueJson(const Issue& i);
  int GetBranch(const std::string& repo, const std::string& branch, std::string* out);

  std::mutex mu_;
  struct Spec;
  std::unique_ptr<Spec> spec_;
  std::string token_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  uint16_t port_ = 0;
  int fail_n_ = 0, fail_status_ = 0;
  std::string fail_method_;
  int lose_n_ = 0;
  std::string lose_method_, lose_path_end_;
  int64_t next_id_ = 9100;
  std::map<std::string, std::string> permissions_;
  std::vector<Comment> comments_;
  std::vector<StatusRow> statuses_;
  std::vector<std::string> reactions_;
  int open_pulls_ = 0;
  std::string token_user_ = "cc-ci";
  bool repo_admin_ = true, repo_push_ = true;
  std::vector<std::string> scopes_ = {"read:user", "write:issue", "write:repository"};
  std::map<int64_t, bool> closed_;  // PR -> merged
  std::map<int64_t, std::string> heads_;  // PR -> head sha, when set
  std::map<std::string, std::map<std::string, std::string>> files_;  // branch -> path -> content
  std::map<std::string, int> commits_;
  std::vector<Pull> pulls_;
  std::vector<Issue> issues_;
  std::string default_branch_ = "main";
  std::map<std::string, std::string> branch_heads_ = {
      {"main", "5d4c3b2a19087f6e5d4c3b2a19087f6e5d4c3b2a"}};
  std::map<std::string, std::string> repo_branch_heads_;  // "owner/name branch" -> sha
  bool archived_ = false;
  std::vector<std::string> requests_, violations_;
};

}  // namespace ccci::testing
