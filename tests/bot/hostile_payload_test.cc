// Signed payloads built to hurt (issue 11: the webhook secret alone must not be enough): each
// is refused with a 400 that names the field, or made harmless, and nothing is stored.
#include <gtest/gtest.h>
#include <pthread.h>
#include <rapidjson/document.h>

#include "bot/http/api_json.h"
#include "bot/intake/intake.h"
#include "bot/store/sql_store.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/payload_edit.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/test_store.h"

namespace ccci {
namespace {

using testing::With;

class HostilePayloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = testing::OpenTestStore(dir_.File("cc-ci.db"), &clock_);
    ASSERT_TRUE(store_);
    intake_ = std::make_unique<Intake>(store_.get(),
                                       Intake::Options{{"test-secret"}, "cc-ci", &clock_, {}});
  }
  IntakeResponse Post(const std::string& event, const std::string& body) {
    WebhookRequest r;
    r.event = event;
    r.delivery = "d" + std::to_string(++deliveries_);
    r.content_type = "application/json";
    r.body = body;
    r.signature = HmacSha256Hex("test-secret", body);
    return intake_->Handle(r);
  }
  // Refused with a 400 naming `field`, and nothing recorded.
  void ExpectRefused(const std::string& event, const std::string& body, const std::string& field) {
    IntakeResponse r = Post(event, body);
    EXPECT_EQ(r.status, 400) << r.message;
    EXPECT_NE(r.message.find(field), std::string::npos) << r.message;
    EXPECT_TRUE(store_->ListRuns({}).value().runs.empty());
    EXPECT_FALSE(store_->HasDelivery("d" + std::to_string(deliveries_)).value());
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<SqlStore> store_;
  std::unique_ptr<Intake> intake_;
  int deliveries_ = 0;
};

struct ThreadJob {
  const Intake* intake;
  WebhookRequest request;
  IntakeResponse response;
};

TEST_F(HostilePayloadTest, NestedBracketsOnARequestSizedStackAreRefusedNotACrash) {
  // Issue 11.6: "["*5000 + "]"*5000 overflowed a 256 KB request thread (recursive parse).
  ThreadJob job{intake_.get(), {}, {}};
  job.request.event = "pull_request";
  job.request.body = std::string(50000, '[') + std::string(50000, ']');
  job.request.signature = HmacSha256Hex("test-secret", job.request.body);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, kRequestThreadStackBytes);
  pthread_t thread;
  ASSERT_EQ(pthread_create(
                &thread, &attr,
                [](void* arg) -> void* {
                  auto* j = static_cast<ThreadJob*>(arg);
                  j->response = j->intake->Handle(j->request);
                  return nullptr;
                },
                &job),
            0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
  EXPECT_EQ(job.response.status, 400);
  EXPECT_EQ(job.response.message.find("bad request: body is nested deeper than 64 levels"), 0u)
      << job.response.message;
}

TEST_F(HostilePayloadTest, DeepNestingInsideAnObjectIsRefused) {
  std::string body =
      "{\"action\":\"opened\",\"x\":" + std::string(65, '[') + std::string(65, ']') + "}";
  IntakeResponse r = Post("pull_request", body);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.message.find("nested deeper than 64"), std::string::npos) << r.message;
  body = "{\"x\":" + std::string(63, '[') + std::string(63, ']') + "}";
  EXPECT_EQ(Post("pull_request", body).message.find("nested"), std::string::npos);
}

TEST_F(HostilePayloadTest, OptionLikeHeadShaIsRefused) {
  // Issue 11.7: this "sha" made git print /etc/passwd into a public stage log.
  ExpectRefused("pull_request",
                With("pull_request_opened.json", "/pull_request/head/sha",
                     "--pathspec-from-file=/etc/passwd"),
                "pull_request.head.sha: not a commit id");
  for (const char* sha : {"9B2E7C4D1A0F3E5B6C8D7A9E0F1B2C3D4E5F6A7B", "9b2e7c4", "HEAD", ""}) {
    ExpectRefused("pull_request", With("pull_request_opened.json", "/pull_request/head/sha", sha),
                  "pull_request.head.sha");
  }
  ExpectRefused("pull_request",
                With("pull_request_synchronized.json", "/after", "--upload-pack=touch /tmp/x"),
                "pull_request.head.sha");
  ExpectRefused("push",
                R"({"ref":"refs/heads/main","after":"--output=/tmp/x","repository":)"
                R"({"full_name":"o/r","default_branch":"main"},"sender":{"login":"a"}})",
                "after: not a commit id");
}

TEST_F(HostilePayloadTest, ASha256HeadIsAccepted) {
  std::string sha(64, 'a');
  IntakeResponse r =
      Post("pull_request", With("pull_request_opened.json", "/pull_request/head/sha", sha));
  EXPECT_EQ(r.status, 202) << r.message;
  EXPECT_EQ(store_->GetRun(1).value().head_sha, sha);
}

TEST_F(HostilePayloadTest, TraversalInRepositoryFullNameIsRefused) {
  // Issue 11.8: this name cloned outside the data dir and planted a trusted overlay.
  for (const char* name :
       {"coop-cloud/../../../../overlays/planted", "coop-cloud/..", "../x", "coop-cloud/",
        "/nextcloud", "coop-cloud/next cloud", "coop-cloud/nextcloud/extra", "-rf/nextcloud"}) {
    ExpectRefused("pull_request", With("pull_request_opened.json", "/repository/full_name", name),
                  "repository.full_name");
  }
}

TEST_F(HostilePayloadTest, NewlineInFullNameIsRefused) {
  // Issue 11.13: a newline reached the sticky comment's heading.
  ExpectRefused(
      "pull_request",
      With("pull_request_opened.json", "/repository/full_name", "coop-cloud/nextcloud\n# pwned"),
      "repository.full_name");
  ExpectRefused("issue_comment",
                With("issue_comment_created_on_pr.json", "/repository/full_name", "a/b\nc"),
                "repository.full_name");
}

TEST_F(HostilePayloadTest, PrNumberZeroOrNegativeIsRefused) {
  // Issue 11.13: PR 0 became a default-branch run.
  for (int64_t n : {0, -17}) {
    std::string body =
        With(With("pull_request_opened.json", "/pull_request/number", n), "/number", n);
    ExpectRefused("pull_request", body, "pull_request.number: not a positive number");
    ExpectRefused("issue_comment", With("issue_comment_created_on_pr.json", "/issue/number", n),
                  "issue.number: not a positive number");
  }
}

TEST_F(HostilePayloadTest, LoginsThatAreNotGiteaLoginsAreRefused) {
  // A login is echoed as an @mention in replies: it must not carry Markdown.
  ExpectRefused("issue_comment",
                With("issue_comment_created_on_pr.json", "/comment/user/login",
                     "bob ![x](http://evil.example/p.png)"),
                "comment.user.login: not a Gitea login");
  ExpectRefused("pull_request",
                With("pull_request_opened.json", "/pull_request/user/login", "alice\n@admin"),
                "pull_request.user.login");
}

TEST_F(HostilePayloadTest, InvalidUtf8TitleIsStoredValidAndServedAsJson) {
  // Issue 11.13: raw invalid UTF-8 made /api/runs invalid JSON.
  std::string title = "fix \xff\xfe tag \xc3\x28 and \xed\xa0\x80 end";
  IntakeResponse r =
      Post("pull_request", With("pull_request_opened.json", "/pull_request/title", title));
  ASSERT_EQ(r.status, 202) << r.message;
  ccci::Run run = store_->GetRun(1).value();
  EXPECT_EQ(run.title,
            "fix \xEF\xBF\xBD\xEF\xBF\xBD tag \xEF\xBF\xBD( and "
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD end");
  run.title = title;  // as an older cc-ci may have stored it: the API still answers valid JSON
  rapidjson::Document d;
  d.Parse<rapidjson::kParseValidateEncodingFlag>(RunToJson(run).c_str());
  EXPECT_FALSE(d.HasParseError());
}

TEST_F(HostilePayloadTest, MegabyteTitleIsCutOnACharacterBoundary) {
  std::string title;
  for (int i = 0; i < 300000; ++i) title += "\xC3\xA9";  // é, two bytes each
  IntakeResponse r =
      Post("pull_request", With("pull_request_opened.json", "/pull_request/title", title));
  ASSERT_EQ(r.status, 202) << r.message;
  std::string stored = store_->GetRun(1).value().title;
  std::string expected;
  for (int i = 0; i < 255; ++i) expected += "\xC3\xA9";
  EXPECT_EQ(stored, expected + "\xE2\x80\xA6");
}

TEST_F(HostilePayloadTest, OptionLikeBranchNamesAreRefused) {
  ExpectRefused("pull_request",
                With("pull_request_opened.json", "/pull_request/head/ref", "--output=/tmp/x"),
                "pull_request.head.ref");
  ExpectRefused("pull_request",
                With("pull_request_opened.json", "/pull_request/base/ref", "main\nx"),
                "pull_request.base.ref");
}

}  // namespace
}  // namespace ccci
