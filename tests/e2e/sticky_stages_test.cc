// The sticky PR comment's stage table, as the reporter builds it from the real store's stage
// records while a run is running and after it finished.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <memory>

#include "bot/forge/outbox.h"
#include "bot/report/reporter.h"
#include "bot/store/sql_store.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/test_files.h"

namespace ccci {
namespace {

class StickyStagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SqlStore::Options so;
    so.path = dir_.File("cc-ci.db");
    so.clock = &clock_;
    store_ = std::move(SqlStore::Open(so).value());
    Outbox::Options oo;
    oo.clock = &clock_;
    outbox_ = std::make_unique<Outbox>(store_.get(), nullptr, oo);  // dry-run: nothing sent
    Reporter::Options ro;
    ro.public_url = "https://ci.example/";
    ro.history = store_.get();
    reporter_ = std::make_unique<Reporter>(store_.get(), store_.get(), outbox_.get(), ro);

    Delivery d;
    d.id = "d1";
    d.event = "pull_request";
    Work w;
    w.kind = Work::Kind::kQueueRun;
    w.run.repo = "coop-cloud/bonfire";
    w.run.pr = 3;
    w.run.head_sha = "0123456789abcdef0123456789abcdef01234567";
    w.run.trigger = "opened";
    run_ = store_->RecordDelivery(d, w).value().run_id;
    ASSERT_TRUE(store_->ClaimRun(run_).value());
  }

  // The body of the newest sticky comment queued for the PR, after reporting.
  std::string Sticky() {
    reporter_->ReportPending();
    auto msgs = store_->RecentMessages(50);
    EXPECT_TRUE(msgs.ok());
    if (!msgs.ok()) return "";
    for (const OutboxMessage& m : *msgs) {  // newest first
      if (m.kind != "sticky") continue;
      rapidjson::Document d;
      d.Parse(m.payload.c_str());
      return d.HasMember("body") ? d["body"].GetString() : "";
    }
    return "";
  }

  void Record(int seq, const std::string& name, const char* status, int64_t ms,
              const std::string& reason = "", bool log = true) {
    StageRecord r{run_,   seq,    name,
                  status, reason, std::nullopt,
                  1000,   ms,     log ? "runs/1/" + name + ".log" : ""};
    ASSERT_TRUE(store_->RecordStage(r).ok());
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<SqlStore> store_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<Reporter> reporter_;
  int64_t run_ = 0;
};

TEST_F(StickyStagesTest, RunningRunShowsItsStagesAndTheLiveLog) {
  Record(0, "install", kStagePass, 4200);
  Record(1, "upgrade", kStageRunning, 0);
  std::string md = Sticky();
  EXPECT_NE(md.find("is **running** on `0123456`: upgrade "
                    "([live log](https://ci.example/runs/1/logs/upgrade))."),
            std::string::npos)
      << md;
  EXPECT_NE(
      md.find("| [install](https://ci.example/runs/1/logs/install) | \u2705 pass | 4.2 s |\n"
              "| [upgrade](https://ci.example/runs/1/logs/upgrade) | \U0001f504 running |  |\n"),
      std::string::npos)
      << md;
  EXPECT_NE(md.find("[#1](https://ci.example/runs/1)"), std::string::npos);
  EXPECT_NE(md.find("`!cc-ci retest`"), std::string::npos);
}

TEST_F(StickyStagesTest, FinishedRunShowsEveryStageWithEscapedReasons) {
  Record(0, "install", kStagePass, 4200);
  Record(1, "upgrade", kStageSkip, 0, "no previous release", false);
  Record(2, "backup", kStageFail, 65000, "exit 1 | 409 Conflict\nretry later");
  ASSERT_TRUE(store_->FinishRun(run_, kRunFinished, 2, "").ok());
  std::string md = Sticky();
  EXPECT_NE(md.find("on `0123456`: **level 2**."), std::string::npos) << md;
  EXPECT_NE(md.find("| upgrade | \u23ed\ufe0f skip: no previous release | 0.0 s |\n"),
            std::string::npos)
      << "a stage without a log is not a link\n"
      << md;
  EXPECT_NE(md.find("| [backup](https://ci.example/runs/1/logs/backup) | \u274c fail: "
                    "exit 1 \\| 409 Conflict retry later | 1 min 5 s |\n"),
            std::string::npos)
      << md;
  EXPECT_EQ(md.find("live log"), std::string::npos);
}

TEST_F(StickyStagesTest, ACapturedScreenshotIsLinkedAndAMissingOneIsNot) {
  Record(0, "install", kStagePass, 4200);
  Record(1, "screenshot", kStageUnverified, 0, "no screenshot: timed out", false);
  std::string md = Sticky();
  EXPECT_EQ(md.find("screenshot.png"), std::string::npos) << md;
  Record(1, "screenshot", kStagePass, 300, "", false);
  ASSERT_TRUE(store_->FinishRun(run_, kRunFinished, 1, "").ok());
  md = Sticky();
  EXPECT_NE(md.find("[the app as deployed (screenshot)](https://ci.example/runs/1/screenshot.png)"),
            std::string::npos) << md;
}

}  // namespace
}  // namespace ccci

namespace ccci {
namespace {

TEST_F(StickyStagesTest, AFinishedPrRunSaysHowItComparesWithTheDefaultBranch) {
  // A finished run of the default branch at level 3.
  Delivery d;
  d.id = "push-1";
  d.event = "push";
  Work w;
  w.kind = Work::Kind::kQueueRun;
  w.run.repo = "coop-cloud/bonfire";
  w.run.pr = 0;
  w.run.head_sha = "fedcba9876543210fedcba9876543210fedcba98";
  w.run.trigger = "push";
  int64_t branch = store_->RecordDelivery(d, w).value().run_id;
  ASSERT_TRUE(store_->ClaimRun(branch).value());
  ASSERT_TRUE(store_->FinishRun(branch, kRunFinished, 3, "").ok());

  ASSERT_TRUE(store_->FinishRun(run_, kRunFinished, 2, "").ok());
  std::string md = Sticky();
  EXPECT_NE(md.find("**level 2** (down from 3 on the default branch)."), std::string::npos) << md;
}

// A PR run never retries a failed stage, but its comment says when that stage has been flaky
// on the default branch lately.
TEST_F(StickyStagesTest, AFailedStageThatIsFlakyOnTheDefaultBranchIsSaidToBe) {
  for (const char* backup : {kStageFlaky, kStagePass, kStageFlaky}) {
    Delivery d;
    d.id = std::string("push-") + std::to_string(clock_.NowUnixMillis()) + backup;
    d.event = "push";
    Work w;
    w.kind = Work::Kind::kQueueRun;
    w.run.repo = "coop-cloud/bonfire";
    w.run.head_sha = d.id;
    w.run.trigger = "push";
    int64_t branch = store_->RecordDelivery(d, w).value().run_id;
    ASSERT_TRUE(store_->ClaimRun(branch).value());
    ASSERT_TRUE(store_->RecordStage({branch, 2, "backup", backup, "", 0, 1, 1, "x.log"}).ok());
    ASSERT_TRUE(store_->RecordStage({branch, 3, "restore", kStageFlaky, "", 0, 1, 1, "y.log"}).ok());
    ASSERT_TRUE(store_->FinishRun(branch, kRunFinished, 5, "").ok());
    clock_.Advance(std::chrono::seconds(1));
  }
  Record(0, "install", kStagePass, 4200);
  Record(2, "backup", kStageFail, 900, "409 Conflict");
  Record(3, "restore", kStagePass, 900);
  ASSERT_TRUE(store_->FinishRun(run_, kRunFinished, 2, "").ok());
  std::string md = Sticky();
  EXPECT_NE(md.find("> `backup` failed here, and on the default branch it was flaky (failed, then "
                    "passed on its retry) in 2 of its last 3 runs: this failure may not be the "
                    "PR's."),
            std::string::npos)
      << md;
  EXPECT_EQ(md.find("`restore` failed here"), std::string::npos) << "restore passed here";
}

}  // namespace
}  // namespace ccci
