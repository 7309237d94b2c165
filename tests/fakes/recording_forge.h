#pragma once
// An in-process ForgeClient for unit tests: answers from tables the test fills, records
// every call as "Method repo args" in order, and fails a method on demand. For a test that
// needs only to see what a component asked of the forge; end-to-end tests keep FakeGitea
// (fake_gitea.h), which checks each request against Gitea's swagger.

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "bot/forge/forge_client.h"

namespace ccci::testing {

class RecordingForge : public ForgeClient {
 public:
  // The answers. Permissions by login (a login not listed: NotFound, as Gitea says).
  std::map<std::string, std::string> permissions;
  std::map<int64_t, ForgePull> pulls;  // by number; the open ones are ListOpenPullRequests
  std::vector<ForgeComment> comments;  // ListComments and ListRepoComments

  // `method` ("GetPermission", "CreateComment", ...) fails with `error` until set back to ok;
  // "*" fails every method. Failed calls are recorded too.
  void Fail(const std::string& method, Status error) {
    std::lock_guard<std::mutex> l(mu_);
    failures_[method] = std::move(error);
  }
  // Every call so far, oldest first: "GetPermission owner/repo alice".
  std::vector<std::string> calls() const {
    std::lock_guard<std::mutex> l(mu_);
    return calls_;
  }
  // The calls to one method.
  std::vector<std::string> CallsOf(const std::string& method) const {
    std::vector<std::string> out;
    for (const std::string& c : calls()) {
      if (c.compare(0, method.size() + 1, method + " ") == 0) out.push_back(c);
    }
    return out;
  }

  Result<int64_t> CreateComment(const std::string& repo, int64_t issue,
                                const std::string& body) override {
    if (Status s = Record("CreateComment", repo, std::to_string(issue) + " " + body); !s.ok()) {
      return s;
    }
    std::lock_guard<std::mutex> l(mu_);
    return ++last_comment_id_;
  }
  Status EditComment(const std::string& repo, int64_t id, const std::string& body) override {
    return Record("EditComment", repo, std::to_string(id) + " " + body);
  }
  Result<std::vector<ForgeComment>> ListComments(const std::string& repo, int64_t issue) override {
    if (Status s = Record("ListComments", repo, std::to_string(issue)); !s.ok()) return s;
    return comments;
  }
  Status CreateStatus(const std::string& repo, const std::string& sha,
                      const CommitStatusRequest& st) override {
    return Record("CreateStatus", repo, sha + " " + st.context + " " + st.state);
  }
  Result<std::string> GetPermission(const std::string& repo, const std::string& login) override {
    if (Status s = Record("GetPermission", repo, login); !s.ok()) return s;
    auto it = permissions.find(login);
    if (it == permissions.end())
      return NotFound("user does not exist [uid: 0, name: " + login + "]");
    return it->second;
  }
  Status AddReaction(const std::string& repo, int64_t id, const std::string& content) override {
    return Record("AddReaction", repo, std::to_string(id) + " " + content);
  }
  Result<ForgePull> GetPullRequest(const std::string& repo, int64_t number) override {
    if (Status s = Record("GetPullRequest", repo, std::to_string(number)); !s.ok()) return s;
    auto it = pulls.find(number);
    if (it == pulls.end()) return NotFound("pull request does not exist");
    return it->second;
  }
  Result<std::vector<ForgePull>> ListOpenPullRequests(const std::string& repo) override {
    if (Status s = Record("ListOpenPullRequests", repo, ""); !s.ok()) return s;
    std::vector<ForgePull> open;
    for (const auto& [n, p] : pulls) {
      if (p.state == "open") open.push_back(p);
    }
    return open;
  }
  Result<std::vector<ForgeComment>> ListRepoComments(const std::string& repo,
                                                     const std::string& since) override {
    if (Status s = Record("ListRepoComments", repo, since); !s.ok()) return s;
    return comments;
  }

 private:
  // Records the call; returns the scripted failure of `method` (or "*"), else ok.
  Status Record(const std::string& method, const std::string& repo, const std::string& args) {
    std::lock_guard<std::mutex> l(mu_);
    calls_.push_back(method + " " + repo + (args.empty() ? "" : " " + args));
    for (const std::string& key : {method, std::string("*")}) {
      auto it = failures_.find(key);
      if (it != failures_.end() && !it->second.ok()) return it->second;
    }
    return Status::Ok();
  }

  mutable std::mutex mu_;
  std::vector<std::string> calls_;
  std::map<std::string, Status> failures_;
  int64_t last_comment_id_ = 1000;
};

}  // namespace ccci::testing
