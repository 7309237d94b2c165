#include "bot/intake/gitea_event.h"

// SSE2 (every x86-64 has it): RapidJSON skips whitespace and scans strings 16 bytes at a time
// when it parses a NUL-terminated copy in place (below).
#if defined(__SSE2__) && !defined(RAPIDJSON_SSE2)
#define RAPIDJSON_SSE2
#endif
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <simdjson.h>

#include <cstring>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/utf8.h"
#include "bot/intake/payload_checks.h"

namespace ccci {
namespace {

using rapidjson::Value;
using Document = rapidjson::GenericDocument<rapidjson::UTF8<>, rapidjson::MemoryPoolAllocator<>,
                                            rapidjson::MemoryPoolAllocator<>>;

// Passes a parse's events on to the document being built, and stops the parse (an error) when
// arrays and objects nest deeper than kMaxJsonDepth. Gitea's payloads nest about 6 deep.
class DepthLimit {
 public:
  explicit DepthLimit(Document& doc) : doc_(doc) {}
  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  bool Int(int i) { return doc_.Int(i); }
  bool Uint(unsigned i) { return doc_.Uint(i); }
  bool Int64(int64_t i) { return doc_.Int64(i); }
  bool Uint64(uint64_t i) { return doc_.Uint64(i); }
  bool Double(double d) { return doc_.Double(d); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) {
    return doc_.RawNumber(s, n, copy);
  }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return doc_.String(s, n, copy); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return doc_.Key(s, n, copy); }
  bool StartObject() { return ++depth_ <= kMaxJsonDepth && doc_.StartObject(); }
  bool EndObject(rapidjson::SizeType n) { return --depth_, doc_.EndObject(n); }
  bool StartArray() { return ++depth_ <= kMaxJsonDepth && doc_.StartArray(); }
  bool EndArray(rapidjson::SizeType n) { return --depth_, doc_.EndArray(n); }

 private:
  Document& doc_;
  int depth_ = 0;
};

// A JSON value as the Reader sees it, whichever parser made it (ParseGiteaEvent says why
// two): absent when a key is missing.
class RapidNode {
 public:
  RapidNode() = default;
  explicit RapidNode(const Value* v) : v_(v) {}
  bool present() const { return v_ != nullptr; }
  bool IsObject() const { return v_ && v_->IsObject(); }
  bool IsNull() const { return v_ && v_->IsNull(); }
  RapidNode Find(const char* key) const {
    if (!IsObject()) return {};
    auto it = v_->FindMember(key);  // the first of duplicate keys
    return it == v_->MemberEnd() ? RapidNode() : RapidNode(&it->value);
  }
  std::optional<std::string_view> String() const {
    if (!v_ || !v_->IsString()) return std::nullopt;
    return std::string_view(v_->GetString(), v_->GetStringLength());
  }
  std::optional<int64_t> Int() const {
    if (!v_ || !v_->IsInt64()) return std::nullopt;
    return v_->GetInt64();
  }
  std::optional<bool> Bool() const {
    if (!v_ || !v_->IsBool()) return std::nullopt;
    return v_->GetBool();
  }

 private:
  const Value* v_ = nullptr;
};

class SimdNode {
 public:
  SimdNode() = default;
  explicit SimdNode(simdjson::dom::element e) : e_(e), present_(true) {}
  bool present() const { return present_; }
  bool IsObject() const { return present_ && e_.is_object(); }
  bool IsNull() const { return present_ && e_.is_null(); }
  SimdNode Find(const char* key) const {
    simdjson::dom::object obj;
    if (!present_ || e_.get(obj) != simdjson::SUCCESS) return {};
    simdjson::dom::element v;  // at_key: the first of duplicate keys, compared unescaped
    return obj.at_key(key).get(v) == simdjson::SUCCESS ? SimdNode(v) : SimdNode();
  }
  std::optional<std::string_view> String() const {
    std::string_view v;
    if (!present_ || e_.get(v) != simdjson::SUCCESS) return std::nullopt;
    return v;
  }
  std::optional<int64_t> Int() const {  // an integer that fits int64_t (not 1.0, as RapidJSON)
    int64_t v;
    if (!present_ || !e_.is_int64() || e_.get(v) != simdjson::SUCCESS) return std::nullopt;
    return v;
  }
  std::optional<bool> Bool() const {
    bool v;
    if (!present_ || e_.get(v) != simdjson::SUCCESS) return std::nullopt;
    return v;
  }

 private:
  simdjson::dom::element e_;
  bool present_ = false;
};

// Reads fields of one JSON object, remembering the first problem with its dotted path.
template <class Node>
class Reader {
 public:
  Reader(Node obj, std::string path, std::string* error)
      : obj_(obj), path_(std::move(path)), error_(error) {}

  bool valid() const { return obj_.present(); }

  Reader Object(const char* key, bool required = true) const {
    Node v = obj_.Find(key);
    if (v.IsObject()) return Reader(v, Join(key), error_);
    if (required || (v.present() && !v.IsNull())) Fail(key, "missing or not an object");
    return Reader(Node(), Join(key), error_);
  }
  std::string String(const char* key, bool required = true) const {
    Node v = obj_.Find(key);
    if (auto s = v.String()) return ValidUtf8(*s);
    if (required || (v.present() && !v.IsNull())) Fail(key, "missing or not a string");
    return "";
  }
  int64_t Int(const char* key, bool required = true) const {
    Node v = obj_.Find(key);
    if (auto i = v.Int()) return *i;
    if (required || (v.present() && !v.IsNull())) Fail(key, "missing or not an integer");
    return 0;
  }
  std::optional<bool> Bool(const char* key, bool required = true) const {
    Node v = obj_.Find(key);
    if (auto b = v.Bool()) return b;
    if (required || (v.present() && !v.IsNull())) Fail(key, "missing or not a boolean");
    return std::nullopt;
  }
  // Records `what` went wrong with `key` (the first problem is kept).
  void Fail(const char* key, const char* what) const {
    // Fields of a missing parent report nothing more: the parent already failed.
    if (error_->empty() && (obj_.present() || path_.empty())) *error_ = Join(key) + ": " + what;
  }
  bool Has(const char* key) const {
    Node v = obj_.Find(key);
    return v.present() && !v.IsNull();
  }

 private:
  std::string Join(const char* key) const { return path_.empty() ? key : path_ + "." + key; }

  Node obj_;
  std::string path_;
  std::string* error_;
};

template <class Node>
RepoInfo ReadRepo(const Reader<Node>& root) {
  Reader<Node> r = root.Object("repository");
  RepoInfo repo;
  repo.full_name = r.String("full_name");
  repo.clone_url = r.String("clone_url", false);
  repo.html_url = r.String("html_url", false);
  repo.default_branch = r.String("default_branch", false);
  Reader<Node> perms = r.Object("permissions", false);
  if (perms.valid()) {
    repo.can_push = perms.Bool("push", false);
    repo.is_admin = perms.Bool("admin", false);
  }
  return repo;
}

template <class Node>
std::string SenderLogin(const Reader<Node>& root) { return root.Object("sender").String("login"); }

template <class Node>
PullRequestEvent ReadPullRequest(const Reader<Node>& root) {
  PullRequestEvent e;
  e.action = root.String("action");
  Reader<Node> pr = root.Object("pull_request");
  e.number = pr.Int("number");
  if (int64_t n = root.Int("number", false); n != 0 && e.number == 0) e.number = n;
  e.title = TruncateUtf8(pr.String("title", false), kMaxTitleChars);
  e.state = pr.String("state", false);
  e.author = pr.Object("user").String("login");
  Reader<Node> head = pr.Object("head");
  e.head_sha = head.String("sha");
  e.head_ref = head.String("ref", false);
  Reader<Node> head_repo = head.Object("repo", false);
  if (head_repo.valid()) e.head_clone_url = head_repo.String("clone_url", false);
  e.base_ref = pr.Object("base").String("ref", false);
  e.merged = pr.Bool("merged", false).value_or(false);
  e.draft = pr.Bool("draft", false).value_or(false);
  e.html_url = pr.String("html_url", false);
  if (std::string t = pr.String("updated_at", false); !t.empty()) {
    e.updated_at_ms = ParseRfc3339Millis(t);
    if (!e.updated_at_ms) pr.Fail("updated_at", "not an RFC 3339 time");
  }
  Reader<Node> changes = root.Object("changes", false);
  e.ref_changed = changes.valid() && changes.Has("ref");
  // Gitea 1.27+ sends the new head as `after` on synchronized; prefer it when present.
  if (std::string after = root.String("after", false); !after.empty()) e.head_sha = after;
  e.repo = ReadRepo(root);
  e.sender = SenderLogin(root);
  return e;
}

template <class Node>
IssueCommentEvent ReadIssueComment(const Reader<Node>& root) {
  IssueCommentEvent e;
  e.action = root.String("action");
  Reader<Node> issue = root.Object("issue");
  e.issue_number = issue.Int("number");
  e.issue_state = issue.String("state", false);
  e.issue_title = TruncateUtf8(issue.String("title", false), kMaxTitleChars);
  e.issue_author = issue.Object("user").String("login");
  // is_pull is the documented signal; issue.pull_request is the fallback for senders that
  // omit it (FACTS 2.3).
  std::optional<bool> is_pull = root.Bool("is_pull", false);
  e.is_pull = is_pull.value_or(issue.Has("pull_request"));
  Reader<Node> comment = root.Object("comment");
  e.comment_id = comment.Int("id");
  e.comment_body = comment.String("body");
  e.comment_author = comment.Object("user").String("login");
  e.comment_html_url = comment.String("html_url", false);
  Reader<Node> pr = root.Object("pull_request", false);
  if (pr.valid()) {
    Reader<Node> head = pr.Object("head", false);
    if (head.valid()) {
      e.pr_head_sha = head.String("sha", false);
      e.pr_head_ref = head.String("ref", false);
    }
    Reader<Node> base = pr.Object("base", false);
    if (base.valid()) e.pr_base_ref = base.String("ref", false);
  }
  e.repo = ReadRepo(root);
  e.sender = SenderLogin(root);
  return e;
}

template <class Node>
PushEvent ReadPush(const Reader<Node>& root) {
  PushEvent e;
  e.ref = root.String("ref");
  e.before = root.String("before", false);
  e.after = root.String("after");
  e.repo = ReadRepo(root);
  e.sender = SenderLogin(root);
  return e;
}

// The event `root` holds, read and checked.
template <class Node>
Result<GiteaEvent> ReadEvent(std::string_view x_gitea_event, Node root_node) {
  if (!root_node.IsObject()) return InvalidArgument("body is not a JSON object");
  std::string error;
  Reader<Node> root(root_node, "", &error);
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
  if (Status s = CheckEvent(event); !s.ok()) {
    return InvalidArgument("not a " + std::string(x_gitea_event) + " payload: " + s.message());
  }
  return event;
}

// The parse for a body simdjson refuses: it says why in words and with an offset, and it
// takes what simdjson does not (invalid UTF-8 in a string, repaired by the Reader; an
// integer past 64 bits, read as a double).
Result<GiteaEvent> ParseWithRapidJson(std::string_view x_gitea_event, std::string_view body) {
  // Parse into thread-local arenas: a 16 KB payload needs ~100 KB of nodes, and allocating
  // and freeing that per request made glibc trim and re-fault heap pages (measured: most of
  // the server's CPU went to the kernel). The arenas are reset, not freed, between parses.
  // Heap-allocated: static TLS lives on each thread's (small) stack.
  constexpr size_t kValueArena = 256 * 1024, kStackArena = 16 * 1024;
  thread_local std::unique_ptr<char[]> value_buffer(new char[kValueArena]);
  thread_local std::unique_ptr<char[]> stack_buffer(new char[kStackArena]);
  rapidjson::MemoryPoolAllocator<> value_alloc(value_buffer.get(), kValueArena);
  rapidjson::MemoryPoolAllocator<> stack_alloc(stack_buffer.get(), kStackArena);
  Document doc(&value_alloc, kStackArena, &stack_alloc);
  // The parse recurses once per level of nesting, and the request thread's stack is small
  // (kRequestThreadStackBytes): the depth limit stops a body of nested brackets before it
  // overflows (measured: 15% faster than RapidJSON's iterative parse, which needs no limit).
  rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>, rapidjson::MemoryPoolAllocator<>>
      reader(&stack_alloc, kStackArena);
  // In place: the strings stay in a copy of the body, terminated by NUL, instead of being
  // copied out one by one (measured: a third of the parse). 16 bytes of padding keep SSE2's
  // aligned reads past the terminator inside the buffer. A body with a NUL byte of its own
  // (not JSON anyway) is parsed from where it is, so it is refused as before.
  // (A large body gets a buffer of its own, so no thread keeps one that large.)
  thread_local std::vector<char> reused;
  std::vector<char> large;
  std::vector<char>& copy = body.size() <= kValueArena ? reused : large;
  bool in_place = std::memchr(body.data(), 0, body.size()) == nullptr;
  if (in_place) {
    copy.resize(body.size() + 17);
    std::memcpy(copy.data(), body.data(), body.size());
    std::memset(copy.data() + body.size(), 0, 17);
  }
  auto parse = [&](Document& handler) {
    DepthLimit limited(handler);
    if (in_place) {
      rapidjson::InsituStringStream stream(copy.data());
      return !reader.Parse<rapidjson::kParseInsituFlag>(stream, limited).IsError();
    }
    rapidjson::MemoryStream stream(body.data(), body.size());
    return !reader.Parse<rapidjson::kParseDefaultFlags>(stream, limited).IsError();
  };
  doc.Populate(parse);
  if (reader.HasParseError()) {
    if (reader.GetParseErrorCode() == rapidjson::kParseErrorTermination) {
      return InvalidArgument("body is nested deeper than " + std::to_string(kMaxJsonDepth) +
                             " levels at offset " + std::to_string(reader.GetErrorOffset()));
    }
    return InvalidArgument(std::string("body is not JSON: ") +
                           rapidjson::GetParseError_En(reader.GetParseErrorCode()) + " at offset " +
                           std::to_string(reader.GetErrorOffset()));
  }
  return ReadEvent(x_gitea_event, RapidNode(&doc));
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
  // simdjson first: it parses and reads a 16 KB payload in about half the time of RapidJSON
  // in place (12 against 22-27 us, intake_bench; README, "Ninth pass"). Its SIMD stages find
  // the structure 32 or 64 bytes at a time, and it checks every byte (UTF-8, nesting up to
  // kMaxJsonDepth, numbers), without recursion. What it refuses goes to RapidJSON, whose
  // answer (a reason with an offset, or an event) is the one cc-ci always gave: a body is
  // accepted, repaired or refused as before either way (tests/bot/gitea_event_test.cc holds
  // the bodies the two parsers take differently).
  // A thread keeps its parser for bodies up to kReusedBytes (its buffers are ~13 bytes per
  // byte of body); a larger body gets one of its own.
  constexpr size_t kReusedBytes = 64 * 1024;
  thread_local simdjson::dom::parser reused;
  thread_local bool sized = false;
  if (!sized) sized = reused.allocate(kReusedBytes, kMaxJsonDepth) == simdjson::SUCCESS;
  std::optional<simdjson::dom::parser> large;
  simdjson::dom::parser* parser = &reused;
  if (body.size() > kReusedBytes || !sized) {
    parser = &large.emplace();
    if (parser->allocate(body.size(), kMaxJsonDepth) != simdjson::SUCCESS) {
      return ParseWithRapidJson(x_gitea_event, body);
    }
  }
  simdjson::dom::element root;
  if (parser->parse(body.data(), body.size()).get(root) != simdjson::SUCCESS) {
    return ParseWithRapidJson(x_gitea_event, body);
  }
  return ReadEvent(x_gitea_event, SimdNode(root));
}

}  // namespace ccci
