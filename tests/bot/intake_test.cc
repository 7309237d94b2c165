#include "bot/intake/intake.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "base/log.h"
#include "bot/store/sql_store.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/payload_edit.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/test_store.h"

namespace ccci {
namespace {

using testing::ReadShared;

class IntakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = testing::OpenTestStore(dir_.File("cc-ci.db"), &clock_);
    ASSERT_TRUE(store_);
    intake_ = std::make_unique<Intake>(store_.get(),
                                       Intake::Options{{"test-secret"}, "cc-ci-bot", &clock_, {}});
  }

  WebhookRequest Signed(const std::string& event, const std::string& body,
                        const std::string& delivery) {
    WebhookRequest r;
    r.event = event;
    r.delivery = delivery;
    r.content_type = "application/json";
    r.body = body;
    r.signature = HmacSha256Hex("test-secret", body);
    return r;
  }
  WebhookRequest Fixture(const std::string& event, const std::string& file,
                         const std::string& delivery) {
    return Signed(event, ReadShared("gitea/payloads/" + file), delivery);
  }
  std::vector<ccci::Run> Runs() { return store_->ListRuns(RunQuery{}).value().runs; }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<SqlStore> store_;
  std::unique_ptr<Intake> intake_;
};

TEST_F(IntakeTest, OpenedPullRequestQueuesARun) {
  IntakeResponse r = intake_->Handle(Fixture("pull_request", "pull_request_opened.json", "d1"));
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(r.outcome, "accepted");
  EXPECT_EQ(r.message, "accepted: run 1 queued for coop-cloud/nextcloud#17 at 9b2e7c4");
  auto runs = Runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].state, "queued");
  EXPECT_EQ(runs[0].trigger, "opened");
  EXPECT_EQ(runs[0].delivery_id, "d1");
  EXPECT_TRUE(store_->HasDelivery("d1").value());
}

TEST_F(IntakeTest, RedeliveredIdIsADuplicateAndCausesNothing) {
  ASSERT_EQ(intake_->Handle(Fixture("pull_request", "pull_request_opened.json", "d1")).status, 202);
  IntakeResponse r = intake_->Handle(Fixture("pull_request", "pull_request_opened.json", "d1"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.outcome, "duplicate");
  EXPECT_EQ(Runs().size(), 1u);
}

TEST_F(IntakeTest, SamePayloadUnderANewDeliveryIdIsADuplicate) {
  // Gitea's "Redeliver" makes a new delivery id for the same payload; so does a replay.
  ASSERT_EQ(intake_->Handle(Fixture("pull_request", "pull_request_opened.json", "d1")).status, 202);
  IntakeResponse r = intake_->Handle(Fixture("pull_request", "pull_request_opened.json", "d2"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.outcome, "duplicate");
  EXPECT_EQ(r.message, "duplicate: delivery d2 repeats the payload of delivery d1");
  EXPECT_EQ(Runs().size(), 1u);
}

TEST_F(IntakeTest, SameHeadInAnotherPayloadCoalesces) {
  ASSERT_EQ(intake_->Handle(Fixture("pull_request", "pull_request_opened.json", "d1")).status, 202);
  std::string again = testing::With("pull_request_opened.json", "/action", std::string("reopened"));
  IntakeResponse r = intake_->Handle(Signed("pull_request", again, "d2"));
  EXPECT_EQ(r.status, 202);
  EXPECT_NE(r.message.find("already covers"), std::string::npos) << r.message;
  EXPECT_EQ(Runs().size(), 1u);
}

TEST_F(IntakeTest, NewerPushSupersedesTheQueuedRun) {
  intake_->Handle(Fixture("pull_request", "pull_request_opened.json", "d1"));
  IntakeResponse r =
      intake_->Handle(Fixture("pull_request", "pull_request_synchronized.json", "d2"));
  EXPECT_EQ(r.status, 202);
  auto runs = Runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].state, "queued");
  EXPECT_EQ(runs[0].head_sha, "c3a1f7e9d2b4c6a8e0f1d3b5a7c9e1f2a4b6c8d0");
  EXPECT_EQ(runs[1].state, "superseded");
  EXPECT_EQ(runs[1].superseded_by, runs[0].id);
  EXPECT_EQ(store_->CountQueue().value().queued, 1);
}

TEST_F(IntakeTest, ClosingThePullRequestCancelsItsQueuedRun) {
  intake_->Handle(Fixture("pull_request", "pull_request_opened.json", "d1"));
  std::string body = ReadShared("gitea/payloads/pull_request_opened.json");
  body.replace(body.find("\"action\": \"opened\""), 18, "\"action\": \"closed\"");
  IntakeResponse r = intake_->Handle(Signed("pull_request", body, "d2"));
  EXPECT_EQ(r.status, 202);
  EXPECT_NE(r.message.find("cancelled 1 queued"), std::string::npos) << r.message;
  EXPECT_EQ(Runs()[0].state, "cancelled");
  EXPECT_EQ(Runs()[0].reason, "pull request closed");
}

TEST_F(IntakeTest, PullRequestCommentBecomesAPendingCommandOnce) {
  IntakeResponse r =
      intake_->Handle(Fixture("issue_comment", "issue_comment_created_on_pr.json", "c1"));
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(r.message, "accepted: command 1 from bob pending on coop-cloud/nextcloud#17");
  EXPECT_EQ(store_->CountQueue().value().pending_commands, 1);
  // The same comment redelivered under a new id is still one command.
  IntakeResponse again =
      intake_->Handle(Fixture("issue_comment", "issue_comment_created_on_pr.json", "c2"));
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.outcome, "duplicate");
  EXPECT_EQ(store_->CountQueue().value().pending_commands, 1);
}

TEST_F(IntakeTest, IgnoredEventsAre200WithTheReason) {
  struct Case {
    std::string event, body, reason;
  };
  std::string pr_comment = ReadShared("gitea/payloads/issue_comment_created_on_pr.json");
  auto with = [](std::string s, const std::string& from, const std::string& to) {
    return s.replace(s.find(from), from.size(), to);
  };
  std::vector<Case> cases = {
      {"issue_comment", ReadShared("gitea/payloads/issue_comment_created_on_issue.json"),
       "ignored: comment on an issue, not a pull request"},
      {"issue_comment", with(pr_comment, "\"action\": \"created\"", "\"action\": \"edited\""),
       "ignored: comment edited; commands are read from new comments only"},
      {"issue_comment", with(pr_comment, "\"body\": \"!cc-ci retest\"", "\"body\": \"LGTM\""),
       "ignored: no !cc-ci command"},
      {"issue_comment",
       with(pr_comment, "\"login\": \"bob\"", "\"login\": \"CC-CI-bot\""),
       "ignored: the bot's own comment"},
      {"issues", "{}", "ignored: event 'issues' is not used by cc-ci"},
      {"pull_request_comment", "{}",
       "ignored: 'pull_request_comment' is a review event; commands are read from plain PR "
       "comments"},
      {"pull_request",
       with(ReadShared("gitea/payloads/pull_request_opened.json"), "\"action\": \"opened\"",
            "\"action\": \"label_updated\""),
       "ignored: pull_request action 'label_updated' does not change what is tested"},
      {"push",
       R"({"ref":"refs/heads/feature","after":"abababababababababababababababababababab","repository":{"full_name":"o/r","default_branch":"main"},"sender":{"login":"x"}})",
       "ignored: push to branch 'feature' (pull request runs come from pull_request events)"},
  };
  int n = 0;
  for (const Case& c : cases) {
    IntakeResponse r = intake_->Handle(Signed(c.event, c.body, "i" + std::to_string(n++)));
    EXPECT_EQ(r.status, 200) << c.reason;
    EXPECT_EQ(r.outcome, "ignored");
    EXPECT_EQ(r.message, c.reason);
  }
  EXPECT_TRUE(Runs().empty());
  EXPECT_EQ(store_->CountQueue().value().pending_commands, 0);
}

TEST_F(IntakeTest, PushToTheDefaultBranchQueuesABranchRun) {
  IntakeResponse r = intake_->Handle(Signed(
      "push",
      R"({"ref":"refs/heads/main","after":"abcdef1234abcdef1234abcdef1234abcdef1234","repository":{"full_name":"o/r","default_branch":"main"},"sender":{"login":"x"}})",
      "p1"));
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(r.message, "accepted: run 1 queued for o/r@main at abcdef1");
  EXPECT_EQ(Runs()[0].pr, 0);
}

TEST_F(IntakeTest, BadSignatureIs401AndStoresNothing) {
  WebhookRequest r = Fixture("pull_request", "pull_request_opened.json", "d1");
  r.signature = HmacSha256Hex("wrong", r.body);
  EXPECT_EQ(intake_->Handle(r).status, 401);
  r.signature.clear();
  IntakeResponse missing = intake_->Handle(r);
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.message, "unauthorized: missing X-Gitea-Signature");
  EXPECT_FALSE(store_->HasDelivery("d1").value());
  EXPECT_TRUE(Runs().empty());
}

TEST_F(IntakeTest, MalformedBodyIs400WithAOneLineReason) {
  IntakeResponse r = intake_->Handle(Signed("pull_request", "{\"action\": ", "d1"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.message.rfind("bad request: body is not JSON", 0), 0u) << r.message;
  IntakeResponse shape = intake_->Handle(Signed("pull_request", "{\"action\": \"opened\"}", "d2"));
  EXPECT_EQ(shape.status, 400);
  EXPECT_EQ(shape.message,
            "bad request: not a pull_request payload: pull_request: missing or not an object");
  EXPECT_FALSE(store_->HasDelivery("d1").value());
}

TEST_F(IntakeTest, WrongMethodIs405) {
  WebhookRequest r = Fixture("pull_request", "pull_request_opened.json", "d1");
  r.method = "GET";
  EXPECT_EQ(intake_->Handle(r).status, 405);
}

TEST_F(IntakeTest, FormEncodedBodyIsVerifiedOverTheJson) {
  std::string json = ReadShared("gitea/payloads/pull_request_opened.json");
  std::string form = "payload=";
  for (unsigned char c : json) {
    if (isalnum(c)) {
      form.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      snprintf(buf, sizeof(buf), "%%%02X", c);
      form += buf;
    }
  }
  WebhookRequest r;
  r.event = "pull_request";
  r.delivery = "f1";
  r.content_type = "application/x-www-form-urlencoded";
  r.body = form;
  r.signature = HmacSha256Hex("test-secret", json);  // Gitea signs the JSON (FACTS 1.3)
  IntakeResponse out = intake_->Handle(r);
  EXPECT_EQ(out.status, 202) << out.message;
  r.delivery = "f2";
  r.body = "payload=%ZZ";
  EXPECT_EQ(intake_->Handle(r).status, 400);
}

TEST_F(IntakeTest, MissingDeliveryIdFallsBackToTheBodyHash) {
  WebhookRequest r = Fixture("pull_request", "pull_request_opened.json", "");
  EXPECT_EQ(intake_->Handle(r).status, 202);
  EXPECT_EQ(intake_->Handle(r).outcome, "duplicate");
}

TEST_F(IntakeTest, LockedDatabaseAnswers503AndTheRedeliveryLands) {
  // Another process (an operator's sqlite3 shell, say) holds the write lock.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(dir_.File("cc-ci.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  IntakeResponse r = intake_->Handle(Fixture("pull_request", "pull_request_opened.json", "d1"));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.outcome, "store_error");
  ASSERT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  EXPECT_FALSE(store_->HasDelivery("d1").value());
  EXPECT_EQ(intake_->Handle(Fixture("pull_request", "pull_request_opened.json", "d1")).status, 202);
}

TEST(MentionsCommandTest, FindsCommandLines) {
  EXPECT_TRUE(MentionsCommand("!cc-ci retest"));
  EXPECT_TRUE(MentionsCommand("thanks!\n  !CC-CI retest\n"));
  EXPECT_FALSE(MentionsCommand("please run !cc-ci retest"));
  EXPECT_FALSE(MentionsCommand("!cc-c"));
  EXPECT_FALSE(MentionsCommand(""));
}

// The queued line carried `event` twice (`event=run.queued ... event=pull_request`): the
// Gitea event has a key of its own.
TEST_F(IntakeTest, LogLinesNameTheGiteaEventUnderItsOwnKey) {
  std::vector<std::string> lines;
  SetLogSink([&](const std::string& l) { lines.push_back(l); });
  intake_->Handle(Fixture("pull_request", "pull_request_opened.json", "d1"));
  intake_->Handle(Fixture("pull_request", "pull_request_opened.json", "d1"));
  SetLogSink(nullptr);
  ASSERT_EQ(lines.size(), 2u);
  for (const std::string& l : lines) {
    EXPECT_NE(l.find(" gitea_event=pull_request"), std::string::npos) << l;
    EXPECT_EQ(l.find(" event_2="), std::string::npos) << l;
  }
}

}  // namespace
}  // namespace ccci
