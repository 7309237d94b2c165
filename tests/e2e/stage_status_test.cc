// A commit status per stage (gitea.status_per_stage): cc-ci/<stage> contexts beside
// cc-ci/recipe, sent through the outbox to a fake Gitea that checks every request against
// swagger.v1.json (the state among its values too), each change sent once, coalesced over an
// outage.

#include <gtest/gtest.h>

#include <map>
#include <memory>

#include "bot/forge/outbox.h"
#include "bot/report/reporter.h"
#include "bot/store/sql_store.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_gitea.h"
#include "tests/fakes/fake_gitea_client.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/test_store.h"

namespace ccci {
namespace {

using Row = testing::FakeGitea::StatusRow;

class StageStatusTest : public ::testing::Test {
 protected:
  void Open(bool per_stage) {
    store_ = testing::OpenTestStore(dir_.File("cc-ci.db"), &clock_);
    client_ = testing::ClientOf(gitea_);
    Outbox::Options oo;
    oo.dry_run = false;
    oo.clock = &clock_;
    outbox_ = std::make_unique<Outbox>(store_.get(), client_.get(), oo);
    Reporter::Options ro;
    ro.public_url = "http://ci.example";
    ro.status_per_stage = per_stage;
    reporter_ = std::make_unique<Reporter>(store_.get(), store_.get(), outbox_.get(), ro);
    run_ = testing::QueueRun(store_.get(), testing::PrRun("coop-cloud/bonfire", 3, kSha));
  }
  void TearDown() override {
    auto v = gitea_.violations();
    EXPECT_TRUE(v.empty()) << v[0];
  }
  // Reports what changed and lets the outbox deliver it.
  void Report() {
    reporter_->ReportPending();
    clock_.Advance(std::chrono::minutes(10));  // past any backoff
    outbox_->DeliverDue();
  }
  void Stage(int seq, const std::string& name, const char* status, const std::string& reason = "") {
    StageRecord r{run_, seq, name, status, reason, std::nullopt, 1, 100, "runs/1/" + name + ".log"};
    ASSERT_TRUE(store_->RecordStage(r).ok());
  }
  // Every status Gitea got for `context`, oldest first.
  std::vector<Row> For(const std::string& context) {
    std::vector<Row> out;
    for (const Row& r : gitea_.statuses()) {
      if (r.context == context) out.push_back(r);
    }
    return out;
  }
  // The newest status of each context, as Gitea shows them on the commit.
  std::map<std::string, Row> Latest() {
    std::map<std::string, Row> out;
    for (const Row& r : gitea_.statuses()) out[r.context] = r;
    return out;
  }

  static constexpr const char* kSha = "0123456789abcdef0123456789abcdef01234567";
  testing::TempDir dir_;
  testing::FakeClock clock_;
  testing::FakeGitea gitea_{"tok"};
  std::unique_ptr<SqlStore> store_;
  std::unique_ptr<GiteaClient> client_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<Reporter> reporter_;
  int64_t run_ = 0;
};

TEST_F(StageStatusTest, EachStageHasItsOwnContextBesideTheRecipesAndEachChangeIsSentOnce) {
  Open(true);
  Report();
  auto queued = Latest();
  EXPECT_EQ(queued["cc-ci/recipe"].state, "pending");
  for (const char* stage : {"install", "upgrade", "backup", "restore", "functional", "lint",
                            "screenshot"}) {
    std::string context = std::string("cc-ci/") + stage;
    EXPECT_EQ(queued[context].state, "pending") << context;
    EXPECT_EQ(queued[context].description, "queued") << context;
    EXPECT_EQ(queued[context].sha, kSha);
  }
  EXPECT_EQ(queued.count("cc-ci/teardown"), 0u) << "cleaning up is no result to require";

  ASSERT_TRUE(store_->ClaimRun(run_).value());
  Stage(0, "install", kStageRunning);
  Report();
  Stage(0, "install", kStagePass);
  Stage(1, "upgrade", kStageSkip, "no previous release");
  Stage(2, "backup", kStageFail, "abra app backup create exited 1: 409 Conflict");
  Stage(3, "restore", kStageUnverified, "backup did not pass");
  Stage(4, "functional", kStageSkip, "no functional checks declared");
  Stage(5, "lint", kStageRunning);
  Report();
  Stage(5, "lint", kStagePass, "2 rules checked");
  Stage(6, "screenshot", kStageSkip, "no browser configured");
  Stage(7, "teardown", kStagePass);
  ASSERT_TRUE(store_->FinishRun(run_, kRunFinished, 2, "").ok());
  Report();

  auto done = Latest();
  EXPECT_EQ(done["cc-ci/recipe"].state, "success");
  EXPECT_EQ(done["cc-ci/recipe"].description, "level 2");
  EXPECT_EQ(done["cc-ci/install"].state, "success");
  EXPECT_EQ(done["cc-ci/install"].target_url, "http://ci.example/runs/1/logs/install");
  EXPECT_EQ(done["cc-ci/upgrade"].state, "success");
  EXPECT_EQ(done["cc-ci/upgrade"].description, "skipped: no previous release");
  EXPECT_EQ(done["cc-ci/backup"].state, "failure");
  EXPECT_EQ(done["cc-ci/backup"].description,
            "failed: abra app backup create exited 1: 409 Conflict");
  EXPECT_EQ(done["cc-ci/restore"].state, "failure");
  EXPECT_EQ(done["cc-ci/restore"].description, "unverified: backup did not pass");
  EXPECT_EQ(done["cc-ci/lint"].description, "passed: 2 rules checked");
  EXPECT_EQ(done["cc-ci/screenshot"].description, "skipped: no browser configured");
  EXPECT_EQ(done.count("cc-ci/teardown"), 0u);

  // Gitea keeps every status it is sent: an unchanged one is not sent again.
  std::vector<std::string> install;
  for (const Row& r : For("cc-ci/install")) install.push_back(r.state + " " + r.description);
  EXPECT_EQ(install, (std::vector<std::string>{"pending queued", "pending running",
                                               "success passed"}));
  EXPECT_EQ(For("cc-ci/upgrade").size(), 3u)
      << "queued, waiting for the stages before it, skipped";
}

TEST_F(StageStatusTest, OnlyTheRecipesStatusUnlessAsked) {
  Open(false);
  Report();
  ASSERT_TRUE(store_->ClaimRun(run_).value());
  Stage(0, "install", kStagePass);
  ASSERT_TRUE(store_->FinishRun(run_, kRunFinished, 1, "").ok());
  Report();
  for (const Row& r : gitea_.statuses()) EXPECT_EQ(r.context, "cc-ci/recipe");
  EXPECT_EQ(gitea_.statuses().size(), 2u);
}

// While Gitea is down every context's status waits in the outbox; once it is back each
// context gets its latest state once, not a replay.
TEST_F(StageStatusTest, AnOutageCoalescesEachContextToItsLatestState) {
  Open(true);
  gitea_.FailNext(1000, 503);
  Report();
  ASSERT_TRUE(store_->ClaimRun(run_).value());
  Stage(0, "install", kStageRunning);
  Report();
  Stage(0, "install", kStagePass);
  Stage(1, "upgrade", kStageRunning);
  Report();
  EXPECT_TRUE(gitea_.statuses().empty());
  gitea_.FailNext(0, 0);
  Report();
  for (int i = 0; i < 20 && !outbox_->DeliverDue(); ++i) clock_.Advance(std::chrono::minutes(10));
  EXPECT_EQ(For("cc-ci/install").size(), 1u);
  EXPECT_EQ(For("cc-ci/install")[0].state, "success");
  EXPECT_EQ(For("cc-ci/upgrade").size(), 1u);
  EXPECT_EQ(For("cc-ci/upgrade")[0].description, "running");
  EXPECT_EQ(For("cc-ci/lint").size(), 1u);
  EXPECT_EQ(For("cc-ci/lint")[0].description, "waiting for the stages before it");
}

// A run that ended without some stages (a CI error stopped the suite) leaves no context
// pending: those stages are errors, "not run".
TEST_F(StageStatusTest, StagesARunNeverReachedAreErrorsOnceItEnded) {
  Open(true);
  ASSERT_TRUE(store_->ClaimRun(run_).value());
  Stage(0, "install", kStageError, "abra missing");
  Stage(7, "teardown", kStagePass);
  ASSERT_TRUE(store_->FinishRun(run_, kRunError, std::nullopt, "install: abra missing").ok());
  Report();
  auto done = Latest();
  EXPECT_EQ(done["cc-ci/recipe"].state, "error");
  EXPECT_EQ(done["cc-ci/install"].state, "error");
  EXPECT_EQ(done["cc-ci/install"].description, "ci error: abra missing");
  EXPECT_EQ(done["cc-ci/backup"].state, "error");
  EXPECT_EQ(done["cc-ci/backup"].description, "not run: install: abra missing");
  EXPECT_EQ(done["cc-ci/backup"].target_url, "http://ci.example/runs/1");
}

}  // namespace
}  // namespace ccci
