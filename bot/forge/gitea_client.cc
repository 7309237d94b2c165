#include "bot/forge/gitea_client.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <curl/curl.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <mutex>
#include <sstream>
#include <thread>

#include "base/log.h"
#include "base/url_escape.h"
#include "bot/forge/json_object.h"

namespace ccci {
namespace {

constexpr int kPageLimit = 50;  // Gitea's MAX_RESPONSE_ITEMS default
constexpr int kMaxPages = 200;  // a bound, in case a server never returns a short page

size_t Collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}


std::string RepoPath(const std::string& repo) {
  size_t slash = repo.find('/');
  return "/repos/" + EscapePathSegment(repo.substr(0, slash)) + "/" +
         EscapePathSegment(slash == std::string::npos ? "" : repo.substr(slash + 1));
}

std::string Str(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

int64_t Int(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsInt64() ? it->value.GetInt64() : 0;
}

const rapidjson::Value* Obj(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsObject() ? &it->value : nullptr;
}

ForgeComment ReadComment(const rapidjson::Value& c) {
  ForgeComment out;
  out.id = Int(c, "id");
  out.body = Str(c, "body");
  out.created_at = Str(c, "created_at");
  if (const auto* u = Obj(c, "user")) out.author = Str(*u, "login");
  // …/pulls/17#issuecomment-9012 or …/issues/15#issuecomment-9020
  std::string url = Str(c, "html_url");
  size_t hash = url.find('#');
  size_t slash = url.rfind('/', hash);
  if (hash != std::string::npos && slash != std::string::npos) {
    std::string n = url.substr(slash + 1, hash - slash - 1);
    if (!n.empty() && n.find_first_not_of("0123456789") == std::string::npos) {
      out.issue_number = std::stoll(n);
    }
  }
  return out;
}

ForgePull ReadPull(const rapidjson::Value& p) {
  ForgePull out;
  out.number = Int(p, "number");
  out.state = Str(p, "state");
  out.title = Str(p, "title");
  if (const auto* u = Obj(p, "user")) out.author = Str(*u, "login");
  if (const auto* h = Obj(p, "head")) {
    out.head_sha = Str(*h, "sha");
    out.head_ref = Str(*h, "ref");
  }
  if (const auto* b = Obj(p, "base")) out.base_ref = Str(*b, "ref");
  auto m = p.FindMember("merged");
  out.merged = m != p.MemberEnd() && m->value.IsBool() && m->value.GetBool();
  return out;
}

std::string FilePath(const std::string& path) {
  std::string out;
  size_t from = 0;
  for (;;) {
    size_t slash = path.find('/', from);
    out += EscapePathSegment(path.substr(from, slash == std::string::npos ? slash : slash - from));
    if (slash == std::string::npos) return out;
    out += '/';
    from = slash + 1;
  }
}

std::string Base64(const std::string& bytes) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc << bytes;
  enc.close();
  return out.str();
}

Result<std::string> FromBase64(const std::string& text) {
  std::istringstream in(text);
  Poco::Base64Decoder dec(in);
  std::ostringstream out;
  try {
    out << dec.rdbuf();
  } catch (const Poco::Exception& e) {
    return Internal("file content is not base64: " + e.displayText());
  }
  return out.str();
}

// A JSON object of optional string fields and booleans, for the bodies Gitea takes.
class JsonBody {
 public:
  JsonBody() { w_.StartObject(); }
  JsonBody& Str(const char* k, const std::string& v) {
    w_.Key(k);
    w_.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    return *this;
  }
  JsonBody& Opt(const char* k, const std::optional<std::string>& v) { return v ? Str(k, *v) : *this; }
  JsonBody& NonEmpty(const char* k, const std::string& v) { return v.empty() ? *this : Str(k, v); }
  JsonBody& Bool(const char* k, bool v) {
    w_.Key(k);
    w_.Bool(v);
    return *this;
  }
  std::string Done() {
    w_.EndObject();
    return buf_.GetString();
  }

 private:
  rapidjson::StringBuffer buf_;
  rapidjson::Writer<rapidjson::StringBuffer> w_{buf_};
};

Status ErrorFor(long status, const std::string& body, const std::string& what) {
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  std::string msg = !d.HasParseError() && d.IsObject() ? Str(d, "message") : "";
  std::string text = what + ": HTTP " + std::to_string(status) + (msg.empty() ? "" : ": " + msg);
  switch (status) {
    case 400:
    case 422: return {Code::kInvalidArgument, text};
    case 401: return {Code::kUnauthenticated, text};
    case 403: return {Code::kPermissionDenied, text};
    case 404: return {Code::kNotFound, text};
    case 409:
    case 423: return {Code::kFailedPrecondition, text};
    case 429: return {Code::kResourceExhausted, text};
    default: return {status >= 500 ? Code::kUnavailable : Code::kInternal, text};
  }
}

}  // namespace

std::string EscapePathSegment(const std::string& s) { return PercentEncode(s); }

GiteaClient::GiteaClient(Options options) : options_(std::move(options)) {
  while (!options_.base_url.empty() && options_.base_url.back() == '/') options_.base_url.pop_back();
  if (!options_.sleep) {
    options_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  }
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Result<GiteaClient::Response> GiteaClient::CallOnce(const std::string& method,
                                                    const std::string& url,
                                                    const std::string& json) {
  CURL* curl = curl_easy_init();
  if (!curl) return Internal("curl_easy_init failed");
  Response resp;
  struct curl_slist* headers = nullptr;
  std::string auth = "Authorization: token " + options_.token;
  // Without a token (the nightly pass's reads in dry-run) cc-ci asks as an anonymous reader.
  if (!options_.token.empty()) headers = curl_slist_append(headers, auth.c_str());
  headers = curl_slist_append(headers, "Accept: application/json");
  if (!json.empty()) headers = curl_slist_append(headers, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (!json.empty()) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, json.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(json.size()));
  }
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, std::min(5000L, static_cast<long>(options_.timeout.count())));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "cc-ci");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &resp.body);
  curl_easy_setopt(curl, CURLOPT_MAXFILESIZE, 32L << 20);
  CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) return Unavailable(std::string("cannot reach Gitea: ") + curl_easy_strerror(rc));
  return resp;
}

Result<GiteaClient::Response> GiteaClient::Call(const std::string& method, const std::string& path,
                                                const std::string& json, int max_attempts) {
  std::string url = options_.base_url + "/api/v1" + path;
  std::chrono::milliseconds backoff = options_.first_backoff;
  if (max_attempts <= 0) max_attempts = options_.max_attempts;
  Status last;
  for (int attempt = 1; attempt <= max_attempts; ++attempt) {
    auto r = CallOnce(method, url, json);
    bool retry;
    if (!r.ok()) {
      last = r.status();
      retry = true;
    } else if (r->status >= 200 && r->status < 300) {
      return r;
    } else {
      last = ErrorFor(r->status, r->body, method + " " + path);
      retry = r->status >= 500 || r->status == 429;
    }
    if (!retry || attempt == max_attempts) break;
    LogWarn("gitea.retry", {{"method", method}, {"path", path}, {"attempt", attempt},
                            {"reason", last.message()}});
    options_.sleep(backoff);
    backoff *= 2;
  }
  return last;
}

Result<int64_t> GiteaClient::CreateComment(const std::string& repo, int64_t issue,
                                           const std::string& body) {
  auto r = Call("POST", RepoPath(repo) + "/issues/" + std::to_string(issue) + "/comments",
                JsonObject({{"body", body}}));
  if (!r.ok()) return r.status();
  rapidjson::Document d;
  d.Parse(r->body.data(), r->body.size());
  if (d.HasParseError() || !d.IsObject() || Int(d, "id") == 0) {
    return Internal("create comment: Gitea answered without a comment id");
  }
  return Int(d, "id");
}

Status GiteaClient::EditComment(const std::string& repo, int64_t comment_id,
                                const std::string& body) {
  auto r = Call("PATCH", RepoPath(repo) + "/issues/comments/" + std::to_string(comment_id),
                JsonObject({{"body", body}}));
  return r.ok() ? Status::Ok() : r.status();
}

Result<std::vector<ForgeComment>> GiteaClient::ListComments(const std::string& repo,
                                                            int64_t issue) {
  // Not paginated by Gitea: one call returns every comment (FACTS 4.2).
  auto r = Call("GET", RepoPath(repo) + "/issues/" + std::to_string(issue) + "/comments", "");
  if (!r.ok()) return r.status();
  rapidjson::Document d;
  d.Parse(r->body.data(), r->body.size());
  if (d.HasParseError() || !d.IsArray()) return Internal("list comments: not a JSON array");
  std::vector<ForgeComment> out;
  for (const auto& c : d.GetArray()) {
    if (c.IsObject()) out.push_back(ReadComment(c));
  }
  return out;
}

Status GiteaClient::CreateStatus(const std::string& repo, const std::string& sha,
                                 const CommitStatusRequest& s) {
  auto r = Call("POST", RepoPath(repo) + "/statuses/" + EscapePathSegment(sha),
                JsonObject({{"state", s.state},
                      {"target_url", s.target_url},
                      {"description", s.description},
                      {"context", s.context}}));
  return r.ok() ? Status::Ok() : r.status();
}

Result<std::string> GiteaClient::GetPermission(const std::string& repo, const std::string& login) {
  auto r = Call("GET", RepoPath(repo) + "/collaborators/" + EscapePathSegment(login) + "/permission", "");
  if (!r.ok()) return r.status();
  rapidjson::Document d;
  d.Parse(r->body.data(), r->body.size());
  if (d.HasParseError() || !d.IsObject()) return Internal("permission: not a JSON object");
  std::string p = Str(d, "permission");
  return p.empty() ? "none" : p;
}

Result<std::string> GiteaClient::CurrentUser() {
  auto r = Call("GET", "/user", "");
  if (!r.ok()) return r.status();
  rapidjson::Document d;
  d.Parse(r->body.data(), r->body.size());
  if (d.HasParseError() || !d.IsObject() || Str(d, "login").empty()) {
    return Internal("GET /user: Gitea answered without a login");
  }
  return Str(d, "login");
}

Result<GiteaClient::RepoAccess> GiteaClient::GetRepoAccess(const std::string& repo) {
  auto r = Call("GET", RepoPath(repo), "");
  if (!r.ok()) return r.status();
  rapidjson::Document d;
  d.Parse(r->body.data(), r->body.size());
  const rapidjson::Value* p = !d.HasParseError() && d.IsObject() ? Obj(d, "permissions") : nullptr;
  if (!p) return Internal("GET " + RepoPath(repo) + ": no permissions in the answer");
  auto flag = [&](const char* k) {
    auto it = p->FindMember(k);
    return it != p->MemberEnd() && it->value.IsBool() && it->value.GetBool();
  };
  return RepoAccess{flag("admin"), flag("push")};
}

Result<bool> GiteaClient::CanWriteIssues(const std::string& repo) {
  auto r = Call("PATCH", RepoPath(repo) + "/issues/comments/0", JsonObject({{"body", "-"}}));
  if (r.ok() || r.status().code() == Code::kNotFound) return true;
  if (r.status().code() == Code::kPermissionDenied) return false;
  return r.status();
}

Status GiteaClient::AddReaction(const std::string& repo, int64_t comment_id,
                                const std::string& content) {
  auto r = Call("POST",
                RepoPath(repo) + "/issues/comments/" + std::to_string(comment_id) + "/reactions",
                JsonObject({{"content", content}}));
  return r.ok() ? Status::Ok() : r.status();  // 200 (already there) and 201 both count
}

Result<ForgePull> GiteaClient::GetPullRequest(const std::string& repo, int64_t number) {
  auto r = Call("GET", RepoPath(repo) + "/pulls/" + std::to_string(number), "");
  if (!r.ok()) return r.status();
  rapidjson::Document d;
  d.Parse(r->body.data(), r->body.size());
  if (d.HasParseError() || !d.IsObject()) return Internal("get pull: not a JSON object");
  return ReadPull(d);
}

// GETs `path`?`filters`&page=N&limit=kPageLimit for N = 1, 2, ... until a short page, and
// hands each object of each page's array to `each`. `what` names the list in errors.
Status GiteaClient::ForEachPage(const std::string& path, const std::string& filters,
                                const char* what,
                                const std::function<void(const rapidjson::Value&)>& each) {
  for (int page = 1; page <= kMaxPages; ++page) {
    auto r = Call("GET",
                  path + "?" + filters + (filters.empty() ? "" : "&") +
                      "page=" + std::to_string(page) + "&limit=" + std::to_string(kPageLimit),
                  "");
    if (!r.ok()) return r.status();
    rapidjson::Document d;
    d.Parse(r->body.data(), r->body.size());
    if (d.HasParseError() || !d.IsArray())
      return Internal(std::string(what) + ": not a JSON array");
    for (const auto& v : d.GetArray()) {
      if (v.IsObject()) each(v);
    }
    if (d.Size() < static_cast<rapidjson::SizeType>(kPageLimit)) break;
  }
  return Status::Ok();
}

Result<std::vector<ForgePull>> GiteaClient::ListOpenPullRequests(const std::string& repo) {
  std::vector<ForgePull> out;
  CCCI_RETURN_IF_ERROR(ForEachPage(RepoPath(repo) + "/pulls", "state=open", "list pulls",
                                   [&](const rapidjson::Value& p) { out.push_back(ReadPull(p)); }));
  return out;
}

Result<std::vector<ForgeComment>> GiteaClient::ListRepoComments(const std::string& repo,
                                                                const std::string& since) {
  std::vector<ForgeComment> out;
  CCCI_RETURN_IF_ERROR(ForEachPage(
      RepoPath(repo) + "/issues/comments", since.empty() ? "" : "since=" + EscapePathSegment(since),
      "list repo comments", [&](const rapidjson::Value& c) { out.push_back(ReadComment(c)); }));
  return out;
}

Result<ForgeFile> GiteaClient::GetFile(const std::string& repo, const std::string& path,
                                       const std::string& ref) {
  auto r = Call("GET", RepoPath(repo) + "/contents/" + FilePath(path) +
                           (ref.empty() ? "" : "?ref=" + EscapePathSegment(ref)), "");
  if (!r.ok()) return r.status();
  rapidjson::Document d;
  d.Parse(r->body.data(), r->body.size());
  if (d.HasParseError() || !d.IsObject()) return Internal("get file: not a JSON object");
  if (Str(d, "type") != "file" || Str(d, "encoding") != "base64") {
    return InvalidArgument(path + " at " + ref + " is not a file Gitea gives in base64");
  }
  auto content = FromBase64(Str(d, "content"));
  if (!content.ok()) return content.status();
  return ForgeFile{Str(d, "path"), Str(d, "sha"), *content};
}

Status GiteaClient::PutFile(const std::string& repo, const std::string& path,
                            const FileChange& c) {
  JsonBody body;
  body.Str("content", Base64(c.content)).Str("sha", c.sha).NonEmpty("branch", c.branch);
  body.NonEmpty("new_branch", c.new_branch).NonEmpty("message", c.message);
  if (c.force_push) body.Bool("force_push", true);
  auto r = Call("PUT", RepoPath(repo) + "/contents/" + FilePath(path), body.Done());
  return r.ok() ? Status::Ok() : r.status();
}

Result<int64_t> GiteaClient::CreatePullRequest(const std::string& repo,
                                               const PullRequestOptions& pr) {
  auto r = Call("POST", RepoPath(repo) + "/pulls",
                JsonObject({{"head", pr.head}, {"base", pr.base}, {"title", pr.title},
                            {"body", pr.body}}));
  if (!r.ok()) return r.status();
  rapidjson::Document d;
  d.Parse(r->body.data(), r->body.size());
  if (d.HasParseError() || !d.IsObject() || Int(d, "number") == 0) {
    return Internal("create pull: Gitea answered without a number");
  }
  return Int(d, "number");
}

Status GiteaClient::EditPullRequest(const std::string& repo, int64_t number,
                                    const PullRequestEdit& e) {
  JsonBody body;
  body.Opt("title", e.title).Opt("body", e.body).Opt("state", e.state);
  auto r = Call("PATCH", RepoPath(repo) + "/pulls/" + std::to_string(number), body.Done());
  return r.ok() ? Status::Ok() : r.status();
}

Result<BranchHead> GiteaClient::GetDefaultBranchHead(const std::string& repo) {
  auto r = Call("GET", RepoPath(repo), "");
  if (!r.ok()) return r.status();
  rapidjson::Document d;
  d.Parse(r->body.data(), r->body.size());
  if (d.HasParseError() || !d.IsObject()) return Internal("get repo: not a JSON object");
  auto flag = [&](const char* k) {
    auto it = d.FindMember(k);
    return it != d.MemberEnd() && it->value.IsBool() && it->value.GetBool();
  };
  if (flag("empty")) return FailedPrecondition(repo + " is empty");
  if (flag("archived")) return FailedPrecondition(repo + " is archived");
  BranchHead head;
  head.branch = Str(d, "default_branch");
  head.clone_url = Str(d, "clone_url");
  if (head.branch.empty()) return Internal("get repo: no default_branch in the answer");
  auto b = Call("GET", RepoPath(repo) + "/branches/" + EscapePathSegment(head.branch), "");
  if (!b.ok()) return b.status();
  rapidjson::Document bd;
  bd.Parse(b->body.data(), b->body.size());
  const rapidjson::Value* commit =
      !bd.HasParseError() && bd.IsObject() ? Obj(bd, "commit") : nullptr;
  if (commit) head.sha = Str(*commit, "id");
  if (head.sha.empty()) return Internal("get branch: no commit id in the answer");
  return head;
}

Result<int64_t> GiteaClient::CreateIssue(const std::string& repo, const std::string& title,
                                         const std::string& body) {
  auto r = Call("POST", RepoPath(repo) + "/issues", JsonObject({{"title", title}, {"body", body}}),
                /*max_attempts=*/1);
  if (!r.ok()) return r.status();
  rapidjson::Document d;
  d.Parse(r->body.data(), r->body.size());
  if (d.HasParseError() || !d.IsObject() || Int(d, "number") == 0) {
    return Internal("create issue: Gitea answered without a number");
  }
  return Int(d, "number");
}

Status GiteaClient::EditIssue(const std::string& repo, int64_t number, const IssueEdit& e) {
  JsonBody body;
  body.Opt("title", e.title).Opt("body", e.body).Opt("state", e.state);
  auto r = Call("PATCH", RepoPath(repo) + "/issues/" + std::to_string(number), body.Done());
  return r.ok() ? Status::Ok() : r.status();
}

Result<std::vector<ForgeIssue>> GiteaClient::ListOpenIssues(const std::string& repo,
                                                            const std::string& author) {
  std::vector<ForgeIssue> out;
  std::string filters = "state=open&type=issues";
  if (!author.empty()) filters += "&created_by=" + EscapePathSegment(author);
  CCCI_RETURN_IF_ERROR(ForEachPage(
      RepoPath(repo) + "/issues", filters, "list issues", [&](const rapidjson::Value& i) {
        out.push_back({Int(i, "number"), Str(i, "title"), Str(i, "body")});
      }));
  return out;
}

}  // namespace ccci
