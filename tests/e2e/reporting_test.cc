// Reporting to Gitea end to end: signed webhooks in, the sticky comment and commit status
// out to a fake Gitea that checks every request against swagger.v1.json; an hour-long outage
// with a fake clock; a restart with a full outbox; dry-run.

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "bot/chatops/command_handler.h"
#include "bot/forge/outbox.h"
#include "bot/http/metrics.h"
#include "bot/http/server.h"
#include "bot/intake/intake.h"
#include "bot/intake/reconciler.h"
#include "bot/report/reporter.h"
#include "bot/store/sql_store.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_gitea.h"
#include "tests/fakes/fake_gitea_client.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/webhook_client.h"

namespace ccci {
namespace {

constexpr const char* kSecret = "test-secret";

// The serve command's wiring, with a fake clock and a manual outbox pump.
class ReportingTest : public ::testing::Test {
 protected:
  void Open(bool dry_run) {
    SqlStore::Options so;
    so.path = dir_.File("cc-ci.db");
    so.clock = &clock_;
    store_ = std::move(SqlStore::Open(so).value());
    client_ = testing::ClientOf(gitea_);
    Outbox::Options oo;
    oo.dry_run = dry_run;
    oo.clock = &clock_;
    outbox_ = std::make_unique<Outbox>(store_.get(), dry_run ? nullptr : client_.get(), oo);
    Reporter::Options ro;
    ro.public_url = "http://ci.example";
    reporter_ = std::make_unique<Reporter>(store_.get(), store_.get(), outbox_.get(), ro);
    Intake::Options io{{kSecret}, "cc-ci", &clock_, {}};
    intake_ = std::make_unique<Intake>(store_.get(), io);
    CommandHandler::Options co;
    co.clock = &clock_;
    co.trusted_users = {"dana"};
    commands_ = std::make_unique<CommandHandler>(
        store_.get(), store_.get(), dry_run ? nullptr : client_.get(), outbox_.get(),
        [r = reporter_.get()](const ccci::Run& run) { return r->RunChanged(run); }, co);
  }
  // A new PR comment, built from the real payload. `push`: the payload's permission, or
  // absent (then the permission API decides).
  int PostComment(const std::string& author, const std::string& body, int64_t comment_id,
                  std::optional<bool> push) {
    std::string s = testing::ReadShared("gitea/payloads/issue_comment_created_on_pr.json");
    auto replace = [&](const std::string& from, const std::string& to) {
      size_t p = s.find(from);
      if (p != std::string::npos) s.replace(p, from.size(), to);
    };
    std::string escaped;
    for (char ch : body) {
      if (ch == '\n')
        escaped += "\\n";
      else if (ch == '"')
        escaped += "\\\"";
      else
        escaped.push_back(ch);
    }
    replace("\"body\": \"!cc-ci retest\"", "\"body\": \"" + escaped + "\"");
    replace("\"id\": 9012", "\"id\": " + std::to_string(comment_id));
    for (size_t p = s.find("\"login\": \"bob\""); p != std::string::npos;
         p = s.find("\"login\": \"bob\"", p + 1)) {
      s.replace(p, 14, "\"login\": \"" + author + "\"");
    }
    replace("\"permissions\": {\n      \"admin\": false,\n      \"push\": true,",
            push ? "\"permissions\": {\n      \"admin\": false,\n      \"push\": " +
                       std::string(*push ? "true" : "false") + ","
                 : "\"no_permissions\": {\n      \"admin\": false,\n      \"push\": true,");
    gitea_.AddCommentWithId(comment_id, 17, author, body);
    WebhookRequest r;
    r.event = "issue_comment";
    r.delivery = "c" + std::to_string(comment_id);
    r.body = s;
    r.signature = HmacSha256Hex(kSecret, r.body);
    return intake_->Handle(r).status;
  }
  void FinishRun(int64_t id, int level) {
    ASSERT_TRUE(store_
                    ->Write([&](SqlDb& db) {
                      return db.Exec("UPDATE runs SET state = 'finished', level = " +
                                     std::to_string(level) + " WHERE id = " + std::to_string(id));
                    })
                    .ok());
  }
  std::vector<std::string> Replies() {
    std::vector<std::string> out;
    for (const auto& c : gitea_.comments()) {
      if (c.body.find(kStickyMarker) == std::string::npos && c.author == "cc-ci") {
        out.push_back(c.body);
      }
    }
    return out;
  }
  void Post(const std::string& fixture, const std::string& delivery) {
    WebhookRequest r;
    r.event = "pull_request";
    r.delivery = delivery;
    r.body = testing::ReadShared("gitea/payloads/" + fixture);
    r.signature = HmacSha256Hex(kSecret, r.body);
    ASSERT_EQ(intake_->Handle(r).status, 202);
    reporter_->ReportPending();  // what serve's reporter thread does right after the commit
  }
  void TearDown() override {
    auto v = gitea_.violations();
    EXPECT_TRUE(v.empty()) << v[0];
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  testing::FakeGitea gitea_{"tok"};
  std::unique_ptr<SqlStore> store_;
  std::unique_ptr<GiteaClient> client_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<Reporter> reporter_;
  std::unique_ptr<Intake> intake_;
  std::unique_ptr<CommandHandler> commands_;
};

TEST_F(ReportingTest, OneStickyCommentEditedInPlaceAndAPendingStatusPerHead) {
  Open(false);
  Post("pull_request_opened.json", "d1");
  outbox_->DeliverDue();
  Post("pull_request_synchronized.json", "d2");
  outbox_->DeliverDue();
  auto comments = gitea_.comments();
  ASSERT_EQ(comments.size(), 1u) << "one sticky comment per PR";
  EXPECT_EQ(comments[0].issue, 17);
  EXPECT_NE(comments[0].body.find(kStickyMarker), std::string::npos);
  EXPECT_NE(comments[0].body.find("Run [#2](http://ci.example/runs/2) is **queued** for `c3a1f7e`"),
            std::string::npos)
      << comments[0].body;
  auto statuses = gitea_.statuses();
  ASSERT_EQ(statuses.size(), 2u);
  EXPECT_EQ(statuses[0].sha, "9b2e7c4d1a0f3e5b6c8d7a9e0f1b2c3d4e5f6a7b");
  EXPECT_EQ(statuses[1].sha, "c3a1f7e9d2b4c6a8e0f1d3b5a7c9e1f2a4b6c8d0");
  EXPECT_EQ(statuses[1].state, "pending");
  EXPECT_EQ(statuses[1].context, "cc-ci/recipe");
  EXPECT_EQ(statuses[1].target_url, "http://ci.example/runs/2");
}

TEST_F(ReportingTest, AnHourOfOutageLosesNothingAndShowsOnlyTheLatestState) {
  Open(false);
  gitea_.FailNext(1000000, 503);
  Post("pull_request_opened.json", "d1");
  ccci::Run run = store_->GetRun(1).value();
  for (int minute = 0; minute < 60; ++minute) {
    outbox_->DeliverDue();
    clock_.Advance(std::chrono::minutes(1));
    if (minute == 10) {  // the run starts and finishes while Gitea is down
      run.state = kRunRunning;
      ASSERT_TRUE(reporter_->RunChanged(run, "install").ok());
    }
    if (minute == 40) {
      run.state = kRunFinished;
      run.level = 4;
      ASSERT_TRUE(reporter_->RunChanged(run).ok());
    }
  }
  size_t attempts_during_outage = gitea_.requests().size();
  EXPECT_LT(attempts_during_outage, 40u) << "backoff, not a hot loop";
  EXPECT_TRUE(gitea_.comments().empty());
  gitea_.FailNext(0, 0);
  clock_.Advance(std::chrono::minutes(6));
  outbox_->DeliverDue();
  auto comments = gitea_.comments();
  ASSERT_EQ(comments.size(), 1u);
  EXPECT_NE(comments[0].body.find("**level 4**"), std::string::npos) << comments[0].body;
  auto statuses = gitea_.statuses();
  ASSERT_EQ(statuses.size(), 1u) << "the latest status only, not a replay";
  EXPECT_EQ(statuses[0].state, "success");
  EXPECT_EQ(statuses[0].description, "level 4");
}

TEST_F(ReportingTest, AFullOutboxSurvivesARestart) {
  Open(false);
  gitea_.FailNext(1000000, 503);
  Post("pull_request_opened.json", "d1");
  outbox_->DeliverDue();
  intake_.reset();
  reporter_.reset();
  outbox_.reset();
  store_.reset();  // cc-ci stops with two messages undelivered
  gitea_.FailNext(0, 0);
  Open(false);
  clock_.Advance(std::chrono::minutes(1));
  outbox_->DeliverDue();
  EXPECT_EQ(gitea_.comments().size(), 1u);
  EXPECT_EQ(gitea_.statuses().size(), 1u);
}

TEST_F(ReportingTest, ARunQueuedJustBeforeACrashIsStillReported) {
  Open(false);
  WebhookRequest r;
  r.event = "pull_request";
  r.delivery = "d1";
  r.body = testing::ReadShared("gitea/payloads/pull_request_opened.json");
  r.signature = HmacSha256Hex(kSecret, r.body);
  ASSERT_EQ(intake_->Handle(r).status, 202);  // committed; cc-ci dies before reporting
  intake_.reset();
  reporter_.reset();
  outbox_.reset();
  store_.reset();
  Open(false);
  EXPECT_EQ(reporter_->ReportPending(), 1);
  EXPECT_EQ(reporter_->ReportPending(), 0) << "reported once";
  outbox_->DeliverDue();
  EXPECT_EQ(gitea_.comments().size(), 1u);
  EXPECT_EQ(gitea_.statuses().size(), 1u);
}

// The reporter's pass after a burst: every run queued since the last pass is reported by
// one pass (one transaction for all), a run superseded before it gets nothing, and none is
// reported twice.
TEST_F(ReportingTest, OnePassReportsEveryRunQueuedSinceTheLast) {
  Open(false);
  gitea_.AddOpenPulls(3);
  const std::string fixture = testing::ReadShared("gitea/payloads/pull_request_synchronized.json");
  auto push = [&](int pr, int sha) {
    WebhookRequest r;
    r.event = "pull_request";
    r.delivery = "d" + std::to_string(sha);
    r.body = testing::SyncBody(fixture, pr, testing::NumberedSha(sha));
    r.signature = HmacSha256Hex(kSecret, r.body);
    ASSERT_EQ(intake_->Handle(r).status, 202);
  };
  push(1, 1);
  push(2, 2);
  push(3, 3);
  push(2, 4);  // supersedes PR 2's first run before any report
  EXPECT_EQ(reporter_->ReportPending(), 4);
  EXPECT_EQ(reporter_->ReportPending(), 0) << "reported once";
  outbox_->DeliverDue();
  EXPECT_EQ(gitea_.comments().size(), 3u) << "one sticky comment per PR";
  std::vector<std::string> shas;
  for (const auto& s : gitea_.statuses()) shas.push_back(s.sha);
  std::sort(shas.begin(), shas.end());
  EXPECT_EQ(shas, (std::vector<std::string>{testing::NumberedSha(1), testing::NumberedSha(3),
                                            testing::NumberedSha(4)}))
      << "no status for the superseded head";
}

TEST_F(ReportingTest, ReconcilerRecordsWhatLostDeliveriesMissedOnce) {
  Open(false);
  gitea_.AddOpenPulls(20);                 // PRs 1..20, none of them delivered
  Post("pull_request_opened.json", "d1");  // #17 of coop-cloud/nextcloud came by webhook
  ASSERT_EQ(PostComment("bob", "!cc-ci help", 9300, true), 202);
  gitea_.AddCommentWithId(9301, 17, "bob", "!cc-ci retest");    // its webhook was lost
  gitea_.AddCommentWithId(9302, 17, "cc-ci", "!cc-ci retest");  // the bot's own
  gitea_.AddCommentWithId(9303, 17, "bob", "just a remark");
  Reconciler::Options o;
  o.clock = &clock_;
  Reconciler rec(store_.get(), store_.get(), client_.get(), o);  // watches the repo seen in runs
  Reconciler::Pass first = rec.ReconcileOnce();
  EXPECT_EQ(first.errors, 0);
  // The fake serves 20 PRs with heads sha1..sha20; #17's head differs from the delivered one,
  // so all 20 are new heads.
  EXPECT_EQ(first.runs_queued, 20);
  EXPECT_EQ(first.commands_added, 1);  // 9301 only: 9300 came by webhook, 9302 is the bot's
  Reconciler::Pass second = rec.ReconcileOnce();
  EXPECT_EQ(second.runs_queued, 0);
  EXPECT_EQ(second.commands_added, 0);
}

// The close of #17 was never delivered: the reconciler finds its queued run on a PR Gitea no
// longer lists as open, confirms the close, cancels the run and ends its approval, once.
TEST_F(ReportingTest, ReconcilerCancelsTheRunsOfAPullWhoseCloseWasLost) {
  Open(false);
  gitea_.AddOpenPulls(20);
  Post("pull_request_opened.json", "d1");  // run 1, #17
  ASSERT_TRUE(store_->Approve("coop-cloud/nextcloud", 17, "dana").ok());
  gitea_.ClosePull(17, /*merged=*/true);
  Reconciler::Options o;
  o.clock = &clock_;
  Reconciler rec(store_.get(), store_.get(), client_.get(), o);
  Reconciler::Pass first = rec.ReconcileOnce();
  EXPECT_EQ(first.errors, 0);
  EXPECT_EQ(first.closes_seen, 1);
  EXPECT_EQ(first.runs_queued, 19);  // the other open PRs' heads
  ccci::Run run = store_->GetRun(1).value();
  EXPECT_EQ(run.state, kRunCancelled);
  EXPECT_EQ(run.reason, "pull request merged");
  EXPECT_FALSE(store_->IsApproved("coop-cloud/nextcloud", 17).value());
  EXPECT_EQ(rec.ReconcileOnce().closes_seen, 0) << "nothing active is left to cancel";
}

// A PR missing from the open list is not taken for closed on that alone: one opened after the
// list was taken (here: beyond the listed ones) keeps its run.
TEST_F(ReportingTest, ReconcilerAsksBeforeTakingAnUnlistedPullForClosed) {
  Open(false);
  gitea_.AddOpenPulls(10);  // #17 is not listed, but Gitea says it is open
  Post("pull_request_opened.json", "d1");
  Reconciler::Options o;
  o.clock = &clock_;
  Reconciler rec(store_.get(), store_.get(), client_.get(), o);
  Reconciler::Pass pass = rec.ReconcileOnce();
  EXPECT_EQ(pass.closes_seen, 0);
  EXPECT_EQ(store_->GetRun(1).value().state, kRunQueued);
  bool asked = false;
  for (const std::string& r : gitea_.requests()) {
    asked |= r.rfind("GET /api/v1/repos/coop-cloud/nextcloud/pulls/17", 0) == 0;
  }
  EXPECT_TRUE(asked);
}

TEST_F(ReportingTest, ADeletedStickyCommentIsWrittenAgain) {
  Open(false);
  Post("pull_request_opened.json", "d1");
  outbox_->DeliverDue();
  ASSERT_TRUE(store_->SetStickyComment("coop-cloud/nextcloud", 17, 424242).ok());  // gone
  Post("pull_request_synchronized.json", "d2");
  outbox_->DeliverDue();
  EXPECT_EQ(gitea_.comments().size(), 2u);
  EXPECT_EQ(store_->StickyComment("coop-cloud/nextcloud", 17).value(), gitea_.comments()[1].id);
}

TEST_F(ReportingTest, DryRunSendsNothingAndShowsTheMessages) {
  Open(true);
  Post("pull_request_opened.json", "d1");
  EXPECT_EQ(outbox_->DeliverDue(), 2);
  EXPECT_TRUE(gitea_.requests().empty());
  auto msgs = store_->RecentMessages(10).value();
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].state, "dry-run");
  Metrics metrics;
  HttpServerOptions o;
  o.listen = "127.0.0.1:0";
  HttpServer server(
      o, HttpServices{intake_.get(), store_.get(), &metrics, "t", "http://x", store_.get(), ""});
  ASSERT_TRUE(server.Start().ok());
  auto api = testing::Get(server.port(), "/api/outbox");
  server.Stop(500);
  EXPECT_EQ(api.status, 200);
  EXPECT_NE(api.body.find("\"kind\":\"sticky\""), std::string::npos) << api.body;
  EXPECT_NE(api.body.find("\"state\":\"dry-run\""), std::string::npos);
}

TEST_F(ReportingTest, TrustedRetestQueuesARunReactsAndUpdatesTheSticky) {
  Open(false);
  Post("pull_request_opened.json", "d1");
  FinishRun(1, 3);
  ASSERT_EQ(PostComment("bob", "!cc-ci retest", 9012, true), 202);
  commands_->ProcessPending();
  reporter_->ReportPending();
  outbox_->DeliverDue();
  ccci::Run run = store_->GetRun(2).value();
  EXPECT_EQ(run.state, "queued");
  EXPECT_EQ(run.trigger, "retest");
  EXPECT_EQ(run.head_sha, "9b2e7c4d1a0f3e5b6c8d7a9e0f1b2c3d4e5f6a7b");
  EXPECT_EQ(gitea_.reactions(), (std::vector<std::string>{"9012:eyes"}));
  EXPECT_TRUE(Replies().empty());
  // A second retest while that run is queued coalesces.
  ASSERT_EQ(PostComment("bob", "!cc-ci retest", 9013, true), 202);
  commands_->ProcessPending();
  EXPECT_EQ(store_->ListRuns({}).value().runs.size(), 2u);
}

TEST_F(ReportingTest, UntrustedCommandsAreRefusedOnce) {
  Open(false);
  Post("pull_request_opened.json", "d1");
  ASSERT_EQ(PostComment("mallory", "!cc-ci cancel\n!cc-ci retest", 9020, false), 202);
  commands_->ProcessPending();
  outbox_->DeliverDue();
  EXPECT_EQ(store_->GetRun(1).value().state, "queued");
  auto replies = Replies();
  ASSERT_EQ(replies.size(), 1u) << "one reply per comment";
  EXPECT_NE(replies[0].find("@mallory:\n- `!cc-ci cancel` needs write access"), std::string::npos);
  EXPECT_NE(replies[0].find("\n- `!cc-ci retest` needs write access"), std::string::npos);
  EXPECT_TRUE(gitea_.reactions().empty());
}

TEST_F(ReportingTest, PermissionApiAndAllowlistDecideWhenThePayloadDoesNot) {
  Open(false);
  Post("pull_request_opened.json", "d1");
  gitea_.SetPermission("carol", "write");
  ASSERT_EQ(PostComment("carol", "!cc-ci cancel", 9030, std::nullopt), 202);
  commands_->ProcessPending();
  EXPECT_EQ(store_->GetRun(1).value().state, "cancelled");
  EXPECT_EQ(store_->GetRun(1).value().reason, "cancelled by carol");
  Post("pull_request_synchronized.json", "d2");
  ASSERT_EQ(PostComment("dana", "!cc-ci cancel", 9031, std::nullopt), 202);  // allowlisted
  commands_->ProcessPending();
  EXPECT_EQ(store_->GetRun(2).value().state, "cancelled");
  ASSERT_EQ(PostComment("erin", "!cc-ci cancel", 9032, std::nullopt), 202);  // 404 from the API
  commands_->ProcessPending();
  outbox_->DeliverDue();
  EXPECT_NE(Replies().back().find("@erin"), std::string::npos);
}

TEST_F(ReportingTest, HelpUnknownAndCommandsInCodeOrQuotes) {
  Open(false);
  Post("pull_request_opened.json", "d1");
  ASSERT_EQ(PostComment("mallory", "!cc-ci help", 9040, false), 202);
  ASSERT_EQ(PostComment("bob", "!cc-ci retset", 9041, true), 202);
  ASSERT_EQ(PostComment("bob", "> !cc-ci cancel", 9042, true), 200);  // ignored at intake
  ASSERT_EQ(PostComment("bob", "```\n!cc-ci cancel\n```", 9043, true), 202);
  commands_->ProcessPending();
  outbox_->DeliverDue();
  auto replies = Replies();
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_NE(replies[0].find("cc-ci understands these commands"), std::string::npos);
  EXPECT_NE(replies[1].find("@bob: unknown command `retset`."), std::string::npos);
  EXPECT_EQ(store_->GetRun(1).value().state, "queued");
}

TEST_F(ReportingTest, AFloodOfCommandsGetsOneReply) {
  Open(false);
  Post("pull_request_opened.json", "d1");
  for (int i = 0; i < 12; ++i)
    ASSERT_EQ(PostComment("mallory", "!cc-ci help", 9100 + i, false), 202);
  commands_->ProcessPending();
  outbox_->DeliverDue();
  auto replies = Replies();
  EXPECT_EQ(replies.size(), 6u);  // five answered, then one "too many"
  EXPECT_NE(replies.back().find("too many"), std::string::npos);
  // After the window, the user is heard again.
  clock_.Advance(std::chrono::minutes(11));
  ASSERT_EQ(PostComment("mallory", "!cc-ci help", 9200, false), 202);
  commands_->ProcessPending();
  clock_.Advance(std::chrono::minutes(1));
  outbox_->DeliverDue();
  EXPECT_EQ(Replies().size(), 7u);
}

}  // namespace
}  // namespace ccci
