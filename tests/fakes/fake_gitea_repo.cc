// The fake Gitea's files and pull requests: GET/PUT /repos/{o}/{r}/contents/{filepath} and
// POST /repos/{o}/{r}/pulls, PATCH /repos/{o}/{r}/pulls/{index}, with the rules Gitea applies
// (swagger.v1.json, UpdateFileOptions and CreatePullRequestOption): a change names the blob
// it replaces by its git blob id, starts from `branch` (default main) and goes to `new_branch`
// when given, which must not exist unless force_push; a second open PR for the same head and
// base is refused with 409.
#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/DigestEngine.h>
#include <Poco/Exception.h>
#include <Poco/SHA1Engine.h>
#include <Poco/URI.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <sstream>

#include "tests/fakes/fake_gitea.h"

namespace ccci::testing {
namespace {

constexpr const char* kDefaultBranch = "main";

std::string Quote(const std::string& s) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return b.GetString();
}

// Git's blob id: what Gitea answers as a file's "sha".
std::string BlobSha(const std::string& content) {
  Poco::SHA1Engine sha;
  std::string header = "blob " + std::to_string(content.size());
  sha.update(header.data(), static_cast<unsigned>(header.size() + 1));  // with its NUL
  sha.update(content);
  return Poco::DigestEngine::digestToHex(sha.digest());
}

std::string Base64(const std::string& bytes) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc << bytes;
  enc.close();
  return out.str();
}

bool FromBase64(const std::string& text, std::string* out) {
  std::istringstream in(text);
  Poco::Base64Decoder dec(in);
  std::ostringstream bytes;
  try {
    bytes << dec.rdbuf();
  } catch (const Poco::Exception&) {
    return false;
  }
  *out = bytes.str();
  return true;
}

std::optional<std::string> Field(const rapidjson::Document& b, const char* k) {
  if (b.HasParseError() || !b.IsObject() || !b.HasMember(k) || !b[k].IsString()) {
    return std::nullopt;
  }
  return std::string(b[k].GetString());
}

std::string Error(const std::string& message) {
  return "{\"message\":" + Quote(message) + ",\"url\":\"x\"}";
}

}  // namespace

void FakeGitea::SetFile(const std::string& branch, const std::string& path,
                        const std::string& content) {
  std::lock_guard<std::mutex> l(mu_);
  files_[branch][path] = content;
}

std::optional<std::string> FakeGitea::File(const std::string& branch, const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  auto b = files_.find(branch);
  if (b == files_.end() || !b->second.count(path)) return std::nullopt;
  return b->second.at(path);
}

int FakeGitea::Commits(const std::string& branch) {
  std::lock_guard<std::mutex> l(mu_);
  return commits_[branch];
}

std::vector<FakeGitea::Pull> FakeGitea::pulls() {
  std::lock_guard<std::mutex> l(mu_);
  return pulls_;
}

std::string FakeGitea::PullJson(const Pull& p) {
  return "{\"number\":" + std::to_string(p.number) + ",\"state\":" + Quote(p.state) +
         ",\"title\":" + Quote(p.title) + ",\"body\":" + Quote(p.body) +
         ",\"user\":{\"login\":\"cc-ci\"},\"head\":{\"ref\":" + Quote(p.head) +
         ",\"sha\":" + Quote(BlobSha(p.head)) + "},\"base\":{\"ref\":" + Quote(p.base) +
         "},\"merged\":false}";
}

int FakeGitea::HandleRepo(const std::string& method, const std::vector<std::string>& s,
                          const Poco::URI& uri, const std::string& body, std::string* out) {
  rapidjson::Document b;
  b.Parse(body.data(), body.size());
  if (s.size() >= 7 && s[5] == "contents") {  // /api/v1/repos/o/r/contents/{filepath...}
    std::string path = s[6];
    for (size_t i = 7; i < s.size(); ++i) path += "/" + s[i];
    if (method == "GET") return GetContents(path, uri, out);
    if (method == "PUT") return PutContents(path, b, out);
    return -1;
  }
  if (s.size() == 6 && s[5] == "pulls" && method == "POST") return CreatePull(b, out);
  if (s.size() == 7 && s[5] == "pulls" && method == "PATCH") return EditPull(s[6], b, out);
  if (s.size() == 6 && s[5] == "issues" && method == "POST") return CreateIssue(b, out);
  if (s.size() == 6 && s[5] == "issues" && method == "GET") return ListIssues(uri, out);
  if (s.size() == 7 && s[5] == "issues" && method == "PATCH") return EditIssue(s[6], b, out);
  if (s.size() == 7 && s[5] == "branches" && method == "GET") {
    return GetBranch(s[3] + "/" + s[4], s[6], out);
  }
  return -1;
}

int FakeGitea::GetContents(const std::string& path, const Poco::URI& uri, std::string* out) {
  std::string ref = kDefaultBranch;
  for (const auto& [k, v] : uri.getQueryParameters()) {
    if (k == "ref") ref = v;
  }
  auto branch = files_.find(ref);
  if (branch == files_.end() || !branch->second.count(path)) {
    *out = Error("GetContentsOrList");
    return 404;
  }
  const std::string& content = branch->second.at(path);
  *out = "{\"name\":" + Quote(path.substr(path.rfind('/') + 1)) + ",\"path\":" + Quote(path) +
         ",\"sha\":\"" + BlobSha(content) +
         "\",\"type\":\"file\",\"size\":" + std::to_string(content.size()) +
         ",\"encoding\":\"base64\",\"content\":\"" + Base64(content) + "\"}";
  return 200;
}

int FakeGitea::PutContents(const std::string& path, const rapidjson::Document& b,
                           std::string* out) {
  auto field = [&](const char* k) { return Field(b, k); };
  std::string from = field("branch").value_or(kDefaultBranch);
  std::string to = field("new_branch").value_or(from);
  bool force = !b.HasParseError() && b.IsObject() && b.HasMember("force_push") &&
               b["force_push"].IsBool() && b["force_push"].GetBool();
  std::string content;
  if (!files_.count(from)) {
    *out = Error("branch does not exist [name: " + from + "]");
    return 404;
  }
  if (!FromBase64(field("content").value_or(""), &content)) {
    *out = Error("content is not base64");
    return 422;
  }
  if (to != from && files_.count(to) && !force) {
    *out = Error("branch already exists [name: " + to + "]");
    return 422;
  }
  auto current = files_[from].find(path);
  std::string want = current == files_[from].end() ? "" : BlobSha(current->second);
  if (field("sha").value_or("") != want) {
    *out = Error("sha does not match [given: " + field("sha").value_or("") + ", expected: " + want +
                 "]");
    return 422;
  }
  if (to != from) {
    files_[to] = files_[from];
    commits_[to] = commits_[from];
  }
  files_[to][path] = content;
  ++commits_[to];
  *out = "{\"content\":{\"path\":" + Quote(path) + ",\"sha\":\"" + BlobSha(content) +
         "\"},\"commit\":{\"message\":" + Quote(field("message").value_or("")) + "}}";
  return 200;
}

int FakeGitea::CreatePull(const rapidjson::Document& b, std::string* out) {
  auto field = [&](const char* k) { return Field(b, k); };
  Pull p;
  p.head = field("head").value_or("");
  p.base = field("base").value_or("");
  p.title = field("title").value_or("");
  p.body = field("body").value_or("");
  p.state = "open";
  if (!files_.count(p.head) || !files_.count(p.base)) {
    *out = Error("branch does not exist");
    return 404;
  }
  for (const Pull& o : pulls_) {
    if (o.state == "open" && o.head == p.head && o.base == p.base) {
      *out = Error("pull request already exists for these targets");
      return 409;
    }
  }
  p.number = open_pulls_ + static_cast<int64_t>(pulls_.size() + issues_.size()) + 1;
  pulls_.push_back(p);
  *out = PullJson(p);
  return 201;
}

int FakeGitea::EditPull(const std::string& number, const rapidjson::Document& b, std::string* out) {
  auto field = [&](const char* k) { return Field(b, k); };
  for (Pull& p : pulls_) {
    if (std::to_string(p.number) != number) continue;
    if (auto v = field("title")) p.title = *v;
    if (auto v = field("body")) p.body = *v;
    if (auto v = field("state")) p.state = *v;
    *out = PullJson(p);
    return 201;
  }
  *out = Error("not found");
  return 404;
}

std::string FakeGitea::IssueJson(const Issue& i) {
  return "{\"id\":" + std::to_string(1000 + i.number) + ",\"number\":" + std::to_string(i.number) +
         ",\"state\":" + Quote(i.state) + ",\"title\":" + Quote(i.title) +
         ",\"body\":" + Quote(i.body) + ",\"user\":{\"login\":" + Quote(i.author) + "}}";
}

// Gitea's CreateIssueOption: title required (checked against the spec), body optional.
int FakeGitea::CreateIssue(const rapidjson::Document& b, std::string* out) {
  Issue i;
  i.title = Field(b, "title").value_or("");
  i.body = Field(b, "body").value_or("");
  i.state = "open";
  i.author = token_user_;
  if (i.title.empty()) {  // Gitea: binding:"Required"
    *out = Error("[Title]: Required");
    return 422;
  }
  i.number = open_pulls_ + static_cast<int64_t>(pulls_.size() + issues_.size()) + 1;
  issues_.push_back(i);
  *out = IssueJson(i);
  return 201;
}

// Gitea's ListIssues (routers/api/v1/repo/issue.go; swagger: state open (default), closed or
// all; type issues or pulls; created_by a login; page from 1; limit, default 30, at most 50).
// Newest first. A created_by login Gitea does not know is a 404 (getUserIDForFilter); the
// fake knows the token's user and whoever opened an issue, commented or has a permission.
// Only issues live here: without type=issues no pull requests are listed, unlike Gitea.
int FakeGitea::ListIssues(const Poco::URI& uri, std::string* out) {
  std::string state = "open", type, author;
  int page = 1, limit = 30;
  for (const auto& [k, v] : uri.getQueryParameters()) {
    if (k == "state") state = v;
    if (k == "type") type = v;
    if (k == "created_by") author = v;
    if (k == "page") page = std::max(1, std::stoi(v));
    if (k == "limit") limit = std::clamp(std::stoi(v), 1, 50);
  }
  bool known = author.empty() || author == token_user_ || permissions_.count(author);
  for (const Issue& i : issues_) known = known || i.author == author;
  for (const Comment& c : comments_) known = known || c.author == author;
  if (!known) {
    *out = Error("user does not exist [uid: 0, name: " + author + "]");
    return 404;
  }
  std::vector<const Issue*> match;
  for (auto i = issues_.rbegin(); i != issues_.rend(); ++i) {
    if (type == "pulls") break;
    if (state != "all" && i->state != state) continue;
    if (!author.empty() && i->author != author) continue;
    match.push_back(&*i);
  }
  *out = "[";
  for (size_t n = static_cast<size_t>((page - 1) * limit);
       n < std::min(match.size(), static_cast<size_t>(page * limit)); ++n) {
    if (out->size() > 1) *out += ",";
    *out += IssueJson(*match[n]);
  }
  *out += "]";
  return 200;
}

int64_t FakeGitea::AddIssue(const std::string& author, const std::string& title,
                            const std::string& body) {
  std::lock_guard<std::mutex> l(mu_);
  Issue i{0, title, body, "open", author};
  i.number = open_pulls_ + static_cast<int64_t>(pulls_.size() + issues_.size()) + 1;
  issues_.push_back(i);
  return i.number;
}

// Gitea's EditIssueOption: each field optional; state "closed" closes, anything else opens
// (routers/api/v1/repo/issue.go). Answers 201 with the issue, as Gitea does.
int FakeGitea::EditIssue(const std::string& number, const rapidjson::Document& b,
                         std::string* out) {
  for (Issue& i : issues_) {
    if (std::to_string(i.number) != number) continue;
    if (auto v = Field(b, "title")) i.title = *v;
    if (auto v = Field(b, "body")) i.body = *v;
    if (auto v = Field(b, "state")) i.state = *v == "closed" ? "closed" : "open";
    *out = IssueJson(i);
    return 201;
  }
  *out = Error("not found");
  return 404;
}

int FakeGitea::GetBranch(const std::string& repo, const std::string& branch, std::string* out) {
  std::string sha;
  if (auto own = repo_branch_heads_.find(repo + " " + branch); own != repo_branch_heads_.end()) {
    sha = own->second;
  } else if (auto head = branch_heads_.find(branch); head != branch_heads_.end()) {
    sha = head->second;
  } else {
    *out = Error("branch not found");
    return 404;
  }
  *out = "{\"name\":" + Quote(branch) + ",\"commit\":{\"id\":" + Quote(sha) +
         ",\"message\":\"m\"},\"protected\":false}";
  return 200;
}

}  // namespace ccci::testing
