#include "bot/intake/gitea_event.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <memory>

namespace ccci {
namespace {

using rapidjson::Value;

// Reads fields of one JSON object, remembering the first problem with its dotted path.
class Reader {
 public:
  Reader(const Value* obj, std::string path, std::string* error)
      : obj_(obj), path_(std::move(path)), error_(error) {}

  bool valid() const { return obj_ != nullptr; }

  Reader Object(const char* key, bool required = true) const {
    const Value* v = Find(key);
    if (v && v->IsObject()) return Reader(v, Join(key), error_);
    if (required || (v && !v->IsNull())) Fail(key, "missing or not an object");
    return Reader(nullptr, Join(key), error_);
  }
  std::string String(const char* key, bool required = true) const {
    const Value* v = Find(key);
    if (v && v->IsString()) return std::string(v->GetString(), v->GetStringLength());
    if (required || (v && !v->IsNull())) Fail(key, "missing or not a string");
    return "";
  }
  int64_t Int(const char* key, bool required = true) const {
    const Value* v = Find(key);
    if (v && v->IsInt64()) return v->GetInt64();
    if (required || (v && !v->IsNull())) Fail(key, "missing or not an integer");
    return 0;
  }
  std::optional<bool> Bool(const char* key, bool required = true) const {
    const Value* v = Find(key);
    if (v && v->IsBool()) return v->GetBool();
    if (required || (v && !v->IsNull())) Fail(key, "missing or not a boolean");
    return std::nullopt;
  }
  bool Has(const char* key) const {
    const Value* v = Find(key);
    return v && !v->IsNull();
  }

 private:
  const Value* Find(const char* key) const {
    if (!obj_) return nullptr;
    auto it = obj_->FindMember(key);
    return it == obj_->MemberEnd() ? nullptr : &it->value;
  }
  std::string Join(const char* key) const { return path_.empty() ? key : path_ + "." + key; }
  void Fail(const char* key, const char* what) const {
    // Fields of a missing parent report nothing more: the parent already failed.
    if (error_->empty() && (obj_ || path_.empty())) *error_ = Join(key) + ": " + what;
  }

  const Value* obj_;
  std::string path_;
  std::string* error_;
};

RepoInfo ReadRepo(const Reader& root) {
  Reader r = root.Object("repository");
  RepoInfo repo;
  repo.full_name = r.String("full_name");
  repo.clone_url = r.String("clone_url", false);
  repo.html_url = r.String("html_url", false);
  repo.default_branch = r.String("default_branch", false);
  Reader perms = r.Object("permissions", false);
  if (perms.valid()) {
    repo.can_push = perms.Bool("push", false);
    repo.is_admin = perms.Bool("admin", false);
  }
  return repo;
}

std::string SenderLogin(const Reader& root) { return root.Object("sender").String("login"); }

PullRequestEvent ReadPullRequest(const Reader& root) {
  PullRequestEvent e;
  e.action = root.String("action");
  Reader pr = root.Object("pull_request");
  e.number = pr.Int("number");
  if (int64_t n = root.Int("number", false); n != 0 && e.number == 0) e.number = n;
  e.title = pr.String("title", false);
  e.state = pr.String("state", false);
  e.author = pr.Object("user").String("login");
  Reader head = pr.Object("head");
  e.head_sha = head.String("sha");
  e.head_ref = head.String("ref", false);
  Reader head_repo = head.Object("repo", false);
  if (head_repo.valid()) e.head_clone_url = head_repo.String("clone_url", false);
  e.base_ref = pr.Object("base").String("ref", false);
  e.merged = pr.Bool("merged", false).value_or(false);
  e.draft = pr.Bool("draft", false).value_or(false);
  e.html_url = pr.String("html_url", false);
  Reader changes = root.Object("changes", false);
  e.ref_changed = changes.valid() && changes.Has("ref");
  // Gitea 1.27+ sends the new head as `after` on synchronized; prefer it when present.
  if (std::string after = root.String("after", false); !after.empty()) e.head_sha = after;
  e.repo = ReadRepo(root);
  e.sender = SenderLogin(root);
  return e;
}

IssueCommentEvent ReadIssueComment(const Reader& root) {
  IssueCommentEvent e;
  e.action = root.String("action");
  Reader issue = root.Object("issue");
  e.issue_number = issue.Int("number");
  e.issue_state = issue.String("state", false);
  e.issue_title = issue.String("title", false);
  e.issue_author = issue.Object("user").String("login");
  // is_pull is the documented signal; issue.pull_request is the fallback for senders that
  // omit it (FACTS 2.3).
  std::optional<bool> is_pull = root.Bool("is_pull", false);
  e.is_pull = is_pull.value_or(issue.Has("pull_request"));
  Reader comment = root.Object("comment");
  e.comment_id = comment.Int("id");
  e.comment_body = comment.String("body");
  e.comment_author = comment.Object("user").String("login");
  e.comment_html_url = comment.String("html_url", false);
  Reader pr = root.Object("pull_request", false);
  if (pr.valid()) {
    Reader head = pr.Object("head", false);
    if (head.valid()) {
      e.pr_head_sha = head.String("sha", false);
      e.pr_head_ref = head.String("ref", false);
    }
    Reader base = pr.Object("base", false);
    if (base.valid()) e.pr_base_ref = base.String("ref", false);
  }
  e.repo = ReadRepo(root);
  e.sender = SenderLogin(root);
  return e;
}

PushEvent ReadPush(const Reader& root) {
  PushEvent e;
  e.ref = root.String("ref");
  e.before = root.String("before", false);
  e.after = root.String("after");
  e.repo = ReadRepo(root);
  e.sender = SenderLogin(root);
  return e;
}

}  // namespace

bool IsSupportedEvent(std::string_view x_gitea_event) {
  return x_gitea_event == "pull_request" || x_gitea_event == "issue_comment" ||
         x_gitea_event == "push";
}

Result<GiteaEvent> ParseGiteaEvent(std::string_view x_gitea_event, std::string_view body) {
  if (!IsSupportedEvent(x_gitea_event)) {
    return NotFound("unsupported event '" + std::string(x_gitea_event) + "'");
  }
  // Parse into thread-local arenas: a 16 KB payload needs ~100 KB of nodes, and allocating
  // and freeing that per request made glibc trim and re-fault heap pages (measured: most of
  // the server's CPU went to the kernel). The arenas are reset, not freed, between parses.
  // Heap-allocated: static TLS lives on each thread's (small) stack.
  constexpr size_t kValueArena = 256 * 1024, kStackArena = 16 * 1024;
  thread_local std::unique_ptr<char[]> value_buffer(new char[kValueArena]);
  thread_local std::unique_ptr<char[]> stack_buffer(new char[kStackArena]);
  rapidjson::MemoryPoolAllocator<> value_alloc(value_buffer.get(), kValueArena);
  rapidjson::MemoryPoolAllocator<> stack_alloc(stack_buffer.get(), kStackArena);
  rapidjson::GenericDocument<rapidjson::UTF8<>, rapidjson::MemoryPoolAllocator<>,
                             rapidjson::MemoryPoolAllocator<>>
      doc(&value_alloc, kStackArena, &stack_alloc);
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError()) {
    return InvalidArgument(std::string("body is not JSON: ") +
                           rapidjson::GetParseError_En(doc.GetParseError()) + " at offset " +
                           std::to_string(doc.GetErrorOffset()));
  }
  if (!doc.IsObject()) return InvalidArgument("body is not a JSON object");
  std::string error;
  Reader root(&doc, "", &error);
  GiteaEvent event;
  if (x_gitea_event == "pull_request") {
    event = ReadPullRequest(root);
  } else if (x_gitea_event == "issue_comment") {
    event = ReadIssueComment(root);
  } else {
    event = ReadPush(root);
  }
  if (!error.empty()) {
    return InvalidArgument("not a " + std::string(x_gitea_event) + " payload: " + error);
  }
  return event;
}

}  // namespace ccci
