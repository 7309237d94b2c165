#include "tests/fakes/fake_gitea.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <sstream>

#include "tests/fakes/test_files.h"

namespace ccci::testing {

struct FakeGitea::Spec {
  rapidjson::Document doc;
};

namespace {

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : path) {
    if (c == '/') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(FakeGitea* g) : g_(g) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    std::ostringstream body;
    Poco::StreamCopier::copyStream(req.stream(), body);
    std::string out;
    int status = g_->Handle(req.getMethod(), req.getURI(), req.get("Authorization", ""),
                            body.str(), &out);
    resp.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    resp.setContentType("application/json");
    resp.setContentLength64(static_cast<Poco::Int64>(out.size()));
    resp.send() << out;
  }

 private:
  FakeGitea* g_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(FakeGitea* g) : g_(g) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new Handler(g_);
  }

 private:
  FakeGitea* g_;
};

std::string CommentJson(const FakeGitea::Comment& c) {
  std::string kind = "pulls";
  return "{\"id\":" + std::to_string(c.id) + ",\"html_url\":\"https://git.example/o/r/" + kind +
         "/" + std::to_string(c.issue) + "#issuecomment-" + std::to_string(c.id) +
         "\",\"user\":{\"login\":\"" + c.author + "\"},\"body\":" + [&] {
           rapidjson::StringBuffer b;
           rapidjson::Writer<rapidjson::StringBuffer> w(b);
           w.String(c.body.c_str());
           return std::string(b.GetString());
         }() + ",\"created_at\":\"2026-07-20T11:30:12Z\"}";
}

}  // namespace

FakeGitea::FakeGitea(const std::string& token) : spec_(new Spec), token_(token) {
  std::string text = ReadShared("gitea/swagger.v1.json");
  spec_->doc.Parse(text.data(), text.size());
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  port_ = socket.address().port();
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(8);
  server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(this), socket, params);
  server_->start();
}

FakeGitea::~FakeGitea() { server_->stopAll(true); }

void FakeGitea::LoseNextAnswer(int n, const std::string& method, const std::string& path_end) {
  std::lock_guard<std::mutex> l(mu_);
  lose_n_ = n;
  lose_method_ = method;
  lose_path_end_ = path_end;
}

void FakeGitea::FailNext(int n, int status, const std::string& method) {
  std::lock_guard<std::mutex> l(mu_);
  fail_n_ = n;
  fail_status_ = status;
  fail_method_ = method;
}
void FakeGitea::SetPermission(const std::string& login, const std::string& p) {
  std::lock_guard<std::mutex> l(mu_);
  permissions_[login] = p;
}
void FakeGitea::AddComment(int64_t issue, const std::string& author, const std::string& body) {
  std::lock_guard<std::mutex> l(mu_);
  comments_.push_back({next_id_++, issue, author, body});
}
void FakeGitea::AddCommentWithId(int64_t id, int64_t issue, const std::string& author,
                                 const std::string& body) {
  std::lock_guard<std::mutex> l(mu_);
  comments_.push_back({id, issue, author, body});
}

void FakeGitea::ClosePull(int64_t n, bool merged) {
  std::lock_guard<std::mutex> lock(mu_);
  closed_[n] = merged;
}

void FakeGitea::ReopenPull(int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  closed_.erase(n);
}

void FakeGitea::SetPullHead(int64_t n, const std::string& sha) {
  std::lock_guard<std::mutex> lock(mu_);
  heads_[n] = sha;
}

void FakeGitea::SetTokenUser(const std::string& login) {
  std::lock_guard<std::mutex> l(mu_);
  token_user_ = login;
}
void FakeGitea::SetRepoAccess(bool admin, bool push) {
  std::lock_guard<std::mutex> l(mu_);
  repo_admin_ = admin;
  repo_push_ = push;
}
void FakeGitea::SetTokenScopes(const std::vector<std::string>& scopes) {
  std::lock_guard<std::mutex> l(mu_);
  scopes_ = scopes;
}

void FakeGitea::AddOpenPulls(int n) {
  std::lock_guard<std::mutex> l(mu_);
  open_pulls_ = n;
}
std::vector<std::string> FakeGitea::requests() {
  std::lock_guard<std::mutex> l(mu_);
  return requests_;
}
std::vector<std::string> FakeGitea::violations() {
  std::lock_guard<std::mutex> l(mu_);
  return violations_;
}
std::vector<FakeGitea::Comment> FakeGitea::comments() {
  std::lock_guard<std::mutex> l(mu_);
  return comments_;
}
void FakeGitea::SetDefaultBranch(const std::string& branch) {
  std::lock_guard<std::mutex> l(mu_);
  default_branch_ = branch;
}
void FakeGitea::SetBranchHead(const std::string& branch, const std::string& sha) {
  std::lock_guard<std::mutex> l(mu_);
  branch_heads_[branch] = sha;
}
void FakeGitea::SetRepoBranchHead(const std::string& repo, const std::string& branch,
                                  const std::string& sha) {
  std::lock_guard<std::mutex> l(mu_);
  repo_branch_heads_[repo + " " + branch] = sha;
}
void FakeGitea::SetArchived(bool archived) {
  std::lock_guard<std::mutex> l(mu_);
  archived_ = archived;
}
std::vector<FakeGitea::Issue> FakeGitea::issues() {
  std::lock_guard<std::mutex> l(mu_);
  return issues_;
}
std::vector<FakeGitea::StatusRow> FakeGitea::statuses() {
  std::lock_guard<std::mutex> l(mu_);
  return statuses_;
}
std::vector<std::string> FakeGitea::reactions() {
  std::lock_guard<std::mutex> l(mu_);
  return reactions_;
}

bool FakeGitea::CheckSpec(const std::string& method, const std::string& path,
                          const std::string& body, const Poco::URI& uri, std::string* why) {
  const std::string prefix = "/api/v1";
  if (path.rfind(prefix, 0) != 0) {
    *why = "not under /api/v1";
    return false;
  }
  std::vector<std::string> segs = Split(path.substr(prefix.size()));
  const auto& paths = spec_->doc["paths"];
  for (auto it = paths.MemberBegin(); it != paths.MemberEnd(); ++it) {
    std::vector<std::string> tpl = Split(it->name.GetString());
    if (tpl.size() != segs.size()) continue;
    bool match = true;
    for (size_t i = 0; i < tpl.size() && match; ++i) {
      match = tpl[i].front() == '{' || tpl[i] == segs[i];
    }
    if (!match) continue;
    std::string m = method;
    for (char& c : m) c = static_cast<char>(tolower(c));
    if (!it->value.HasMember(m.c_str())) continue;  // another template may allow it
    const auto& op = it->value[m.c_str()];
    for (const auto& [k, v] : uri.getQueryParameters()) {
      const rapidjson::Value* param = nullptr;
      if (op.HasMember("parameters")) {
        for (const auto& p : op["parameters"].GetArray()) {
          if (std::string(p["in"].GetString()) == "query" && k == p["name"].GetString()) param = &p;
        }
      }
      if (!param) {
        *why = "query parameter not in the schema: " + k;
        return false;
      }
      if (param->HasMember("enum")) {
        bool known = false;
        for (const auto& e : (*param)["enum"].GetArray()) known |= v == e.GetString();
        if (!known) {
          *why = "not one of the schema's values for query parameter " + k + ": " + v;
          return false;
        }
      }
      if (std::string((*param)["type"].GetString()) == "integer" &&
          (v.empty() || v.find_first_not_of("0123456789") != std::string::npos)) {
        *why = "query parameter " + k + " is not an integer: " + v;
        return false;
      }
    }
    if (!op.HasMember("parameters")) return true;
    for (const auto& p : op["parameters"].GetArray()) {
      if (std::string(p["in"].GetString()) != "body") continue;
      rapidjson::Document b;
      b.Parse(body.data(), body.size());
      if (b.HasParseError() || !b.IsObject()) {
        *why = "body is not a JSON object";
        return false;
      }
      std::string ref = p["schema"]["$ref"].GetString();  // #/definitions/X
      const auto& def = spec_->doc["definitions"][ref.substr(ref.rfind('/') + 1).c_str()];
      if (def.HasMember("required")) {
        for (const auto& r : def["required"].GetArray()) {
          if (!b.HasMember(r.GetString())) {
            *why = std::string("missing required field ") + r.GetString();
            return false;
          }
        }
      }
      for (auto f = b.MemberBegin(); f != b.MemberEnd(); ++f) {
        if (!def["properties"].HasMember(f->name.GetString())) {
          *why = std::string("field not in the schema: ") + f->name.GetString();
          return false;
        }
        const auto& prop = def["properties"][f->name.GetString()];
        if (prop.HasMember("enum") && f->value.IsString()) {
          bool known = false;
          for (const auto& e : prop["enum"].GetArray()) known |= e == f->value;
          if (!known) {
            *why = std::string("not one of the schema's values for ") + f->name.GetString() +
                   ": " + f->value.GetString();
            return false;
          }
        }
      }
    }
    return true;
  }
  *why = "no such path and method in swagger.v1.json";
  return false;
}

int FakeGitea::Handle(const std::string& method, const std::string& uri, const std::string& auth,
                      const std::string& body, std::string* out) {
  int status = Answer(method, uri, auth, body, out);
  std::lock_guard<std::mutex> l(mu_);
  std::string path = Poco::URI(uri).getPath();
  bool path_matches =
      path.size() >= lose_path_end_.size() &&
      path.compare(path.size() - lose_path_end_.size(), std::string::npos, lose_path_end_) == 0;
  if (lose_n_ > 0 && (lose_method_.empty() || lose_method_ == method) && path_matches) {
    --lose_n_;
    *out = "<html><body><h1>504 Gateway Time-out</h1></body></html>";
    return 504;
  }
  return status;
}

int FakeGitea::Answer(const std::string& method, const std::string& uri, const std::string& auth,
                      const std::string& body, std::string* out) {
  std::lock_guard<std::mutex> l(mu_);
  Poco::URI u(uri);
  std::string path = u.getPath();
  requests_.push_back(method + " " + path + (body.empty() ? "" : " " + body));
  std::string why;
  if (!CheckSpec(method, path, body, u, &why)) {
    violations_.push_back(method + " " + path + ": " + why);
  }
  if (auth != "token " + token_) {
    *out = "{\"message\":\"token is required\",\"url\":\"x\"}";
    return 401;
  }
  if (fail_n_ > 0 && (fail_method_.empty() || fail_method_ == method)) {
    --fail_n_;
    *out = "{\"message\":\"\",\"url\":\"x\"}";
    return fail_status_;
  }
  std::vector<std::string> s = Split(path);  // api v1 repos o r ...
  // Scopes by route category (FACTS.md 4.1): GET needs read:<cat>, the rest write:<cat>.
  std::string category = s.size() > 2 && s[2] == "user"                      ? "user"
                         : s.size() > 5 && s[2] == "repos" && s[5] == "issues" ? "issue"
                                                                               : "repository";
  std::string level = method == "GET" ? "read" : "write";
  bool scoped = false;
  for (const std::string& sc : scopes_) {
    scoped = scoped || sc == level + ":" + category || sc == "write:" + category;
  }
  if (!scoped) {
    *out = "{\"message\":\"token does not have at least one of required scope(s), required=[" +
           level + ":" + category + "]\",\"url\":\"x\"}";
    return 403;
  }
  if (s.size() == 3 && s[2] == "user" && method == "GET") {
    *out = "{\"id\":1,\"login\":\"" + token_user_ + "\",\"full_name\":\"\",\"is_admin\":false}";
    return 200;
  }
  if (s.size() < 5) return 404;
  if (s.size() == 5 && method == "GET") {
    auto b = [](bool v) { return v ? std::string("true") : std::string("false"); };
    *out = "{\"id\":1,\"name\":\"" + s[4] + "\",\"full_name\":\"" + s[3] + "/" + s[4] +
           "\",\"owner\":{\"login\":\"" + s[3] + "\"},\"permissions\":{\"admin\":" +
           b(repo_admin_) + ",\"push\":" + b(repo_push_) +
           ",\"pull\":true},\"default_branch\":\"" + default_branch_ +
           "\",\"clone_url\":\"" + base_url() + "/" + s[3] + "/" + s[4] +
           ".git\",\"empty\":false,\"archived\":" + b(archived_) + "}";
    return 200;
  }
  rapidjson::Document b;
  if (!body.empty()) b.Parse(body.data(), body.size());
  auto field = [&](const char* k) {
    return !b.HasParseError() && b.IsObject() && b.HasMember(k) && b[k].IsString()
               ? std::string(b[k].GetString()) : "";
  };
  // /api/v1/repos/o/r/issues/{n}/comments
  if (s.size() == 8 && s[5] == "issues" && s[7] == "comments") {
    int64_t issue = std::stoll(s[6]);
    if (method == "POST") {
      comments_.push_back({next_id_++, issue, "cc-ci", field("body")});
      *out = CommentJson(comments_.back());
      return 201;
    }
    *out = "[";
    for (const Comment& c : comments_) {
      if (c.issue != issue) continue;
      if (out->size() > 1) *out += ",";
      *out += CommentJson(c);
    }
    *out += "]";
    return 200;
  }
  // /api/v1/repos/o/r/issues/comments (repo-wide, paginated: everything on page 1)
  if (s.size() == 7 && s[5] == "issues" && s[6] == "comments") {
    bool first = true;
    for (const auto& [k, v] : u.getQueryParameters()) {
      if (k == "page" && v != "1") first = false;
    }
    *out = "[";
    for (const Comment& c : comments_) {
      if (!first) break;
      if (out->size() > 1) *out += ",";
      *out += CommentJson(c);
    }
    *out += "]";
    return 200;
  }
  // /api/v1/repos/o/r/issues/comments/{id}[/reactions]
  if (s.size() >= 8 && s[5] == "issues" && s[6] == "comments") {
    int64_t id = std::stoll(s[7]);
    for (Comment& c : comments_) {
      if (c.id != id) continue;
      if (s.size() == 9 && s[8] == "reactions") {
        reactions_.push_back(std::to_string(id) + ":" + field("content"));
        *out = "{\"content\":\"" + field("content") + "\"}";
        return 201;
      }
      c.body = field("body");
      *out = CommentJson(c);
      return 200;
    }
    *out = "{\"message\":\"not found\",\"url\":\"x\",\"errors\":[]}";
    return 404;
  }
  if (s.size() == 7 && s[5] == "statuses") {
    statuses_.push_back({s[6], field("state"), field("context"), field("description"), field("target_url")});
    *out = "{\"id\":" + std::to_string(statuses_.size()) + ",\"status\":\"" + field("state") + "\"}";
    return 201;
  }
  if (s.size() == 8 && s[5] == "collaborators" && s[7] == "permission") {
    auto it = permissions_.find(s[6]);
    if (it == permissions_.end()) {
      *out = "{\"message\":\"not found\",\"url\":\"x\",\"errors\":[]}";
      return 404;
    }
    *out = "{\"permission\":\"" + it->second + "\",\"role_name\":\"" + it->second + "\"}";
    return 200;
  }
  if (int status = HandleRepo(method, s, u, body, out); status >= 0) return status;
  if (s.size() == 6 && s[5] == "pulls") {
    int page = 1, limit = 30;
    for (const auto& [k, v] : u.getQueryParameters()) {
      if (k == "page") page = std::stoi(v);
      if (k == "limit") limit = std::min(50, std::stoi(v));
    }
    *out = "[";
    // Pages hold `limit` PRs of 1..open_pulls_ minus the closed ones, as Gitea pages the
    // filtered list.
    std::vector<std::string> open;
    for (int n = 1; n <= open_pulls_; ++n) {
      if (closed_.count(n)) continue;
      open.push_back("{\"number\":" + std::to_string(n) + ",\"state\":\"open\",\"title\":\"t\",\"user\":{\"login\":\"alice\"},\"head\":{\"sha\":\"sha" +
                     std::to_string(n) + "\",\"ref\":\"b\"},\"base\":{\"ref\":\"main\"},\"merged\":false}");
    }
    for (const Pull& p : pulls_) {
      if (p.state == "open") open.push_back(PullJson(p));
    }
    for (size_t i = static_cast<size_t>((page - 1) * limit);
         i < std::min(open.size(), static_cast<size_t>(page * limit)); ++i) {
      if (out->size() > 1) *out += ",";
      *out += open[i];
    }
    *out += "]";
    return 200;
  }
  if (s.size() == 7 && s[5] == "pulls") {
    // Gitea's documented answer, renumbered, with the state this fake holds.
    *out = ReadShared("gitea/api-examples/get_pull.response.200.json");
    auto set = [&](const std::string& from, const std::string& to) {
      size_t at = out->find(from);
      if (at != std::string::npos) out->replace(at, from.size(), to);
    };
    set("\"number\": 17", "\"number\": " + s[6]);
    int64_t n = std::strtoll(s[6].c_str(), nullptr, 10);
    if (auto head = heads_.find(n); head != heads_.end()) {
      set("\"sha\": \"c3a1f7e9d2b4c6a8e0f1d3b5a7c9e1f2a4b6c8d0\"", "\"sha\": \"" + head->second + "\"");
    }
    auto closed = closed_.find(n);
    if (closed != closed_.end()) {
      set("\"state\": \"open\"", "\"state\": \"closed\"");
      if (closed->second) set("\"merged\": false", "\"merged\": true");
    }
    return 200;
  }
  *out = "{\"message\":\"not found\",\"url\":\"x\",\"errors\":[]}";
  return 404;
}

}  // namespace ccci::testing
