// Reporting to Gitea end to end: signed webhooks in, the sticky comment and commit status
// out to a fake Gitea that checks every request against swagger.v1.json; an hour-long outage
// with a fake clock; a restart with a full outbox; dry-run.

#include <gtest/gtest.h>

#include <memory>

#include "bot/forge/gitea_client.h"
#include "bot/forge/outbox.h"
#include "bot/http/metrics.h"
#include "bot/http/server.h"
#include "bot/intake/intake.h"
#include "bot/report/reporter.h"
#include "bot/store/sqlite_store.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_gitea.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/webhook_client.h"

namespace ccci {
namespace {

constexpr const char* kSecret = "test-secret";

// The serve command's wiring, with a fake clock and a manual outbox pump.
class ReportingTest : public ::testing::Test {
 protected:
  void Open(bool dry_run) {
    SqliteStore::Options so;
    so.path = dir_.File("cc-ci.db");
    so.clock = &clock_;
    store_ = std::move(SqliteStore::Open(so).value());
    GiteaClient::Options go;
    go.base_url = gitea_.base_url();
    go.token = "tok";
    go.max_attempts = 1;  // the outbox does the retrying
    client_ = std::make_unique<GiteaClient>(go);
    Outbox::Options oo;
    oo.dry_run = dry_run;
    oo.clock = &clock_;
    outbox_ = std::make_unique<Outbox>(store_.get(), dry_run ? nullptr : client_.get(), oo);
    reporter_ = std::make_unique<Reporter>(outbox_.get(), Reporter::Options{"http://ci.example", 1, "cc-ci/recipe"});
    Intake::Options io{{kSecret}, "cc-ci", &clock_, {}};
    io.on_recorded = [this](const Work& w, const RecordOutcome& out) {
      if (w.kind == Work::Kind::kQueueRun && !out.coalesced) {
        ASSERT_TRUE(reporter_->RunChanged(store_->GetRun(out.run_id).value()).ok());
      }
    };
    intake_ = std::make_unique<Intake>(store_.get(), io);
  }
  void Post(const std::string& fixture, const std::string& delivery) {
    WebhookRequest r;
    r.event = "pull_request";
    r.delivery = delivery;
    r.body = testing::ReadShared("gitea/payloads/" + fixture);
    r.signature = HmacSha256Hex(kSecret, r.body);
    ASSERT_EQ(intake_->Handle(r).status, 202);
  }
  void TearDown() override {
    auto v = gitea_.violations();
    EXPECT_TRUE(v.empty()) << v[0];
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  testing::FakeGitea gitea_{"tok"};
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<GiteaClient> client_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<Reporter> reporter_;
  std::unique_ptr<Intake> intake_;
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
            std::string::npos) << comments[0].body;
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
  HttpServer server(o, HttpServices{intake_.get(), store_.get(), &metrics, "t", "http://x", store_.get()});
  ASSERT_TRUE(server.Start().ok());
  auto api = testing::Get(server.port(), "/api/outbox");
  server.Stop(500);
  EXPECT_EQ(api.status, 200);
  EXPECT_NE(api.body.find("\"kind\":\"sticky\""), std::string::npos) << api.body;
  EXPECT_NE(api.body.find("\"state\":\"dry-run\""), std::string::npos);
}

}  // namespace
}  // namespace ccci
