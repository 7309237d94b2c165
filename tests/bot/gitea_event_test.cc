#include "bot/intake/gitea_event.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "tests/fakes/test_files.h"

namespace ccci {
namespace {

using testing::ReadShared;

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  size_t pos = s.find(from);
  if (pos == std::string::npos) throw std::runtime_error("fixture lacks: " + from);
  return s.replace(pos, from.size(), to);
}

TEST(GiteaEventTest, PullRequestOpened) {
  auto e = ParseGiteaEvent("pull_request", ReadShared("gitea/payloads/pull_request_opened.json"));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  const auto& pr = std::get<PullRequestEvent>(*e);
  EXPECT_EQ(pr.action, "opened");
  EXPECT_EQ(pr.number, 17);
  EXPECT_EQ(pr.head_sha, "9b2e7c4d1a0f3e5b6c8d7a9e0f1b2c3d4e5f6a7b");
  EXPECT_EQ(pr.head_ref, "bump-30.0.4");
  EXPECT_EQ(pr.base_ref, "main");
  EXPECT_EQ(pr.author, "alice");
  EXPECT_EQ(pr.repo.full_name, "coop-cloud/nextcloud");
  EXPECT_EQ(pr.repo.default_branch, "main");
  EXPECT_EQ(pr.sender, "alice");
  EXPECT_EQ(pr.state, "open");
  EXPECT_FALSE(pr.merged);
}

TEST(GiteaEventTest, PullRequestSynchronized) {
  auto e = ParseGiteaEvent("pull_request",
                           ReadShared("gitea/payloads/pull_request_synchronized.json"));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  const auto& pr = std::get<PullRequestEvent>(*e);
  EXPECT_EQ(pr.action, "synchronized");
  EXPECT_EQ(pr.head_sha, "c3a1f7e9d2b4c6a8e0f1d3b5a7c9e1f2a4b6c8d0");
}

TEST(GiteaEventTest, CommentOnPullRequest) {
  auto e = ParseGiteaEvent("issue_comment",
                           ReadShared("gitea/payloads/issue_comment_created_on_pr.json"));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  const auto& c = std::get<IssueCommentEvent>(*e);
  EXPECT_TRUE(c.is_pull);
  EXPECT_EQ(c.action, "created");
  EXPECT_EQ(c.issue_number, 17);  // issue.number, not issue.id (905)
  EXPECT_EQ(c.comment_id, 9012);
  EXPECT_EQ(c.comment_author, "bob");
  EXPECT_EQ(c.comment_body.rfind("!cc-ci retest", 0), 0u);
  EXPECT_EQ(c.pr_head_sha, "c3a1f7e9d2b4c6a8e0f1d3b5a7c9e1f2a4b6c8d0");
  EXPECT_EQ(c.repo.can_push, std::optional<bool>(true));
}

TEST(GiteaEventTest, CommentOnPlainIssue) {
  auto e = ParseGiteaEvent("issue_comment",
                           ReadShared("gitea/payloads/issue_comment_created_on_issue.json"));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  const auto& c = std::get<IssueCommentEvent>(*e);
  EXPECT_FALSE(c.is_pull);
  EXPECT_EQ(c.issue_number, 15);
  EXPECT_TRUE(c.pr_head_sha.empty());
}

TEST(GiteaEventTest, UnsupportedEventIsNotFound) {
  auto e = ParseGiteaEvent("issues", "{}");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), Code::kNotFound);
}

// Variants of real payloads: what Gitea versions differ in, and what broken peers send.
struct Variant {
  const char* name;
  const char* event;
  const char* fixture;
  std::function<std::string(std::string)> mutate;
  bool ok;
  const char* expect;  // a substring of the error, or of a checked field when ok
};

void PrintTo(const Variant& v, std::ostream* os) { *os << v.name; }

class GiteaEventVariantTest : public ::testing::TestWithParam<Variant> {};

TEST_P(GiteaEventVariantTest, Parses) {
  const Variant& v = GetParam();
  std::string body = v.mutate(ReadShared(std::string("gitea/payloads/") + v.fixture));
  auto e = ParseGiteaEvent(v.event, body);
  if (!v.ok) {
    ASSERT_FALSE(e.ok()) << v.name;
    EXPECT_EQ(e.status().code(), Code::kInvalidArgument);
    EXPECT_NE(e.status().message().find(v.expect), std::string::npos) << e.status().message();
    EXPECT_EQ(e.status().message().find('\n'), std::string::npos) << "reason must be one line";
    return;
  }
  ASSERT_TRUE(e.ok()) << v.name << ": " << e.status().ToString();
  std::string seen;
  if (auto* pr = std::get_if<PullRequestEvent>(&*e)) seen = pr->head_sha + " " + pr->title;
  if (auto* c = std::get_if<IssueCommentEvent>(&*e)) {
    seen = c->comment_body + " " + (c->is_pull ? "pull" : "issue") + " " + c->pr_head_sha;
  }
  if (auto* p = std::get_if<PushEvent>(&*e)) seen = p->ref + " " + p->after;
  EXPECT_NE(seen.find(v.expect), std::string::npos) << seen;
}

std::string Id(std::string s) { return s; }

// `s`, a JSON object, with `"key": value` as its first member.
std::string WithMember(const std::string& s, const std::string& key, const std::string& value) {
  size_t brace = s.find('{');
  return s.substr(0, brace + 1) + "\"" + key + "\": " + value + "," + s.substr(brace + 1);
}

// `levels` arrays, each inside the one before.
std::string Nested(int levels) { return std::string(levels, '[') + std::string(levels, ']'); }

const Variant kVariants[] = {
    {"truncated", "pull_request", "pull_request_opened.json",
     [](std::string s) { return s.substr(0, s.size() / 2); }, false, "not JSON"},
    {"empty", "pull_request", "pull_request_opened.json", [](std::string) { return ""; }, false,
     "not JSON"},
    {"array", "pull_request", "pull_request_opened.json", [](std::string) { return "[1,2]"; },
     false, "not a JSON object"},
    {"trailing_garbage", "pull_request", "pull_request_opened.json",
     [](std::string s) { return s + "}"; }, false, "not JSON"},
    {"number_as_string", "pull_request", "pull_request_opened.json",
     [](std::string s) { return Replace(s, "\"number\": 17,\n    \"user\"", "\"number\": \"17\",\n    \"user\""); },
     false, "pull_request.number: missing or not an integer"},
    {"sha_missing", "pull_request", "pull_request_opened.json",
     [](std::string s) {
       return Replace(s, "\"sha\": \"9b2e7c4d1a0f3e5b6c8d7a9e0f1b2c3d4e5f6a7b\"", "\"shaa\": \"x\"");
     },
     false, "pull_request.head.sha"},
    {"no_pull_request", "pull_request", "issue_comment_created_on_issue.json", Id, false,
     "pull_request: missing or not an object"},
    {"repo_not_object", "pull_request", "pull_request_opened.json",
     [](std::string s) { return Replace(s, "\"repository\": {", "\"repository\": 5, \"x\": {"); },
     false, "repository: missing or not an object"},
    {"wrong_event_for_body", "issue_comment", "pull_request_opened.json", Id, false,
     "issue: missing"},
    {"escaped_html_v1_encoder", "pull_request", "pull_request_opened.json",
     [](std::string s) {
       return Replace(s, "\"title\": \"Bump Nextcloud to 30.0.4\"",
                      "\"title\": \"\\u003cb\\u003eBump\\u003c/b\\u003e \\u0026 co\"");
     },
     true, "<b>Bump</b> & co"},
    {"gitea_1_27_after_wins", "pull_request", "pull_request_synchronized.json",
     [](std::string s) {
       return Replace(s, "\"action\": \"synchronized\",",
                      "\"action\": \"synchronized\",\n  \"before\": \"aaaa\",\n  \"after\": "
                      "\"1111111111111111111111111111111111111111\",");
     },
     true, "1111111111111111111111111111111111111111"},
    {"review_comments_absent_1_25", "pull_request", "pull_request_opened.json",
     [](std::string s) { return Replace(s, "\"review_comments\": 0,", ""); }, true,
     "9b2e7c4d1a0f3e5b6c8d7a9e0f1b2c3d4e5f6a7b"},
    {"unknown_fields_ignored", "pull_request", "pull_request_opened.json",
     [](std::string s) {
       return Replace(s, "\"action\": \"opened\",",
                      "\"action\": \"opened\", \"future_field\": {\"x\": [1, null]},");
     },
     true, "9b2e7c4d1a0f3e5b6c8d7a9e0f1b2c3d4e5f6a7b"},
    {"comment_without_top_level_pr_1_22", "issue_comment", "issue_comment_created_on_pr.json",
     [](std::string s) {
       size_t a = s.find("\n  \"pull_request\": {");
       size_t b = s.find("\n  \"comment\": {");
       return s.substr(0, a) + s.substr(b);
     },
     true, "!cc-ci retest"},
    {"comment_is_pull_missing_uses_issue_pull_request", "issue_comment",
     "issue_comment_created_on_pr.json",
     [](std::string s) { return Replace(s, "\"is_pull\": true", "\"zz\": 1"); }, true, "pull"},
    {"comment_body_not_string", "issue_comment", "issue_comment_created_on_pr.json",
     [](std::string s) { return Replace(s, "\"body\": \"!cc-ci retest", "\"body\": 5, \"b\": \""); },
     false, "comment.body: missing or not a string"},
    // Bodies simdjson and RapidJSON take differently (ParseGiteaEvent parses with simdjson and
    // hands what it refuses to RapidJSON): each must get the answer cc-ci always gave.
    {"nested_64_levels_accepted", "pull_request", "pull_request_opened.json",
     [](std::string s) { return WithMember(s, "deep", Nested(63)); }, true,
     "9b2e7c4d1a0f3e5b6c8d7a9e0f1b2c3d4e5f6a7b"},
    {"nested_65_levels_refused_with_offset", "pull_request", "pull_request_opened.json",
     [](std::string s) { return WithMember(s, "deep", Nested(64)); }, false,
     "nested deeper than 64 levels at offset"},
    {"invalid_utf8_in_an_unread_field_accepted", "pull_request", "pull_request_opened.json",
     [](std::string s) { return WithMember(s, "x", "\"caf\xe9 \xff\""); }, true,
     "9b2e7c4d1a0f3e5b6c8d7a9e0f1b2c3d4e5f6a7b"},
    {"lone_surrogate_escape_repaired", "pull_request", "pull_request_opened.json",
     [](std::string s) {
       return Replace(s, "\"title\": \"Bump", "\"title\": \"\\udc00 Bump");
     },
     true, "\xEF\xBF\xBD"},
    {"integer_past_64_bits_in_an_unread_field_accepted", "pull_request",
     "pull_request_opened.json",
     [](std::string s) { return WithMember(s, "x", "123456789012345678901234567890"); }, true,
     "9b2e7c4d1a0f3e5b6c8d7a9e0f1b2c3d4e5f6a7b"},
    {"number_too_big_for_a_double_refused", "pull_request", "pull_request_opened.json",
     [](std::string s) { return WithMember(s, "x", "1e400"); }, false,
     "not JSON: Number too big to be stored in double. at offset"},
    {"integer_written_as_a_float_refused", "pull_request", "pull_request_opened.json",
     [](std::string s) { return Replace(s, "\"number\": 17,\n    \"user\"", "\"number\": 17.0,\n    \"user\""); },
     false, "pull_request.number: missing or not an integer"},
    {"duplicate_key_the_first_wins", "pull_request", "pull_request_synchronized.json",
     [](std::string s) {
       return WithMember(s, "after",
                         "\"1111111111111111111111111111111111111111\", \"after\": "
                         "\"2222222222222222222222222222222222222222\"");
     },
     true, "1111111111111111111111111111111111111111"},
    {"a_nul_byte_refused", "pull_request", "pull_request_opened.json",
     [](std::string s) { return WithMember(s, "x", std::string("\"a\0b\"", 5)); }, false,
     "not JSON"},
    {"body_past_the_reused_parser_accepted", "pull_request", "pull_request_opened.json",
     [](std::string s) { return WithMember(s, "x", "\"" + std::string(200 * 1024, 'a') + "\""); },
     true, "9b2e7c4d1a0f3e5b6c8d7a9e0f1b2c3d4e5f6a7b"},
};

INSTANTIATE_TEST_SUITE_P(Variants, GiteaEventVariantTest, ::testing::ValuesIn(kVariants),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(GiteaEventTest, Push) {
  std::string body = R"({"ref":"refs/heads/main","before":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "after":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    "repository":{"full_name":"o/r","default_branch":"main","clone_url":"https://g/o/r.git"},
    "sender":{"login":"carol"},"commits":[]})";
  auto e = ParseGiteaEvent("push", body);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  const auto& p = std::get<PushEvent>(*e);
  EXPECT_EQ(p.ref, "refs/heads/main");
  EXPECT_EQ(p.after, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
  EXPECT_EQ(p.sender, "carol");
}

}  // namespace
}  // namespace ccci
