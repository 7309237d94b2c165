// The SQLite store's history slice: the ended runs the level pictures draw, and how often each
// stage was flaky over the default branch's last runs.
#include <gtest/gtest.h>

#include "bot/store/sql_store.h"
#include "tests/fakes/store_drivers.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/test_store.h"

namespace ccci {
namespace {

class StoreHistoryTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    db_.Prepare();
    if (!db_.available()) return;
    store_ = db_.Open();
    ASSERT_TRUE(store_);
  }
  // A run of coop-cloud/bonfire (pr 0: the default branch) that ended as `state`.
  int64_t Ended(int64_t pr, const std::string& state, std::optional<int64_t> level,
                const std::string& repo = "coop-cloud/bonfire") {
    std::string sha = "sha" + std::to_string(++n_);
    int64_t id = testing::QueueRun(store_.get(), testing::PrRun(repo, pr, sha));
    EXPECT_TRUE(store_->ClaimRun(id).value());
    EXPECT_TRUE(store_->FinishRun(id, state, level, "").ok());
    return id;
  }
  void Stage(int64_t run, int seq, const std::string& name, const char* status) {
    StageRecord r{run, seq, name, status, "", std::nullopt, 1, 1, "runs/x/" + name + ".log"};
    r.attempts = status == std::string(kStageFlaky) ? 2 : 1;
    ASSERT_TRUE(store_->RecordStage(r).ok());
  }
  std::vector<int64_t> Ids(const Result<std::vector<ccci::Run>>& runs) {
    EXPECT_TRUE(runs.ok()) << runs.status().ToString();
    std::vector<int64_t> ids;
    if (runs.ok()) {
      for (const ccci::Run& r : *runs) ids.push_back(r.id);
    }
    return ids;
  }

  testing::DriverStore db_{GetParam()};
  std::unique_ptr<SqlStore> store_;
  int n_ = 0;
};

TEST_P(StoreHistoryTest, EndedRunsAreFinishedOrErrorNewestFirstByBranchOrAll) {
  int64_t b1 = Ended(0, kRunFinished, 3);
  int64_t p1 = Ended(7, kRunFinished, 2);
  int64_t b2 = Ended(0, kRunError, std::nullopt);
  Ended(0, kRunCancelled, std::nullopt);
  int64_t b3 = Ended(0, kRunFinished, 5);
  Ended(0, kRunFinished, 1, "coop-cloud/other");
  testing::QueueRun(store_.get(), testing::PrRun("coop-cloud/bonfire", 0, "queued"));

  EXPECT_EQ(Ids(store_->EndedRuns("coop-cloud/bonfire", 0, 0, 30)),
            (std::vector<int64_t>{b3, b2, b1}))
      << "the default branch's, without the cancelled, queued and other repo's runs";
  EXPECT_EQ(Ids(store_->EndedRuns("coop-cloud/bonfire", std::nullopt, 0, 30)),
            (std::vector<int64_t>{b3, b2, p1, b1}));
  EXPECT_EQ(Ids(store_->EndedRuns("coop-cloud/bonfire", 0, b2, 30)), (std::vector<int64_t>{b2, b1}))
      << "up to a run: what its history was when it ended";
  EXPECT_EQ(Ids(store_->EndedRuns("coop-cloud/bonfire", 0, 0, 2)), (std::vector<int64_t>{b3, b2}));
  EXPECT_TRUE(Ids(store_->EndedRuns("coop-cloud/none", 0, 0, 30)).empty());
}

TEST_P(StoreHistoryTest, FlakyStagesCountTheDefaultBranchsLastRunsOnly) {
  int64_t old = Ended(0, kRunFinished, 5);  // outside a window of 3
  Stage(old, 2, "backup", kStageFlaky);
  int64_t a = Ended(0, kRunFinished, 5);
  Stage(a, 0, "install", kStagePass);
  Stage(a, 1, "upgrade", kStageSkip);
  Stage(a, 2, "backup", kStageFlaky);
  int64_t pr = Ended(4, kRunFinished, 2);
  Stage(pr, 2, "backup", kStageFail);  // a PR's failure is not the branch's
  int64_t b = Ended(0, kRunFinished, 5);
  Stage(b, 0, "install", kStageFlaky);
  Stage(b, 2, "backup", kStagePass);
  int64_t c = Ended(0, kRunFinished, 2);
  Stage(c, 0, "install", kStagePass);
  Stage(c, 2, "backup", kStageFail);

  auto flaky = store_->FlakyStages("coop-cloud/bonfire", 3);
  ASSERT_TRUE(flaky.ok()) << flaky.status().ToString();
  ASSERT_EQ(flaky->size(), 2u) << "upgrade never came to a verdict";
  EXPECT_EQ((*flaky)[0].stage, "install") << "in suite order";
  EXPECT_EQ((*flaky)[0].flaky, 1);
  EXPECT_EQ((*flaky)[0].ran, 3);
  EXPECT_EQ((*flaky)[1].stage, "backup");
  EXPECT_EQ((*flaky)[1].flaky, 1) << "the older flaky run is outside the window";
  EXPECT_EQ((*flaky)[1].ran, 3);
}

TEST_P(StoreHistoryTest, AStagesAttemptsAreKept) {
  int64_t id = Ended(0, kRunFinished, 5);
  Stage(id, 2, "backup", kStageFlaky);
  Stage(id, 3, "restore", kStagePass);
  auto stages = store_->ListStages(id);
  ASSERT_TRUE(stages.ok());
  ASSERT_EQ(stages->size(), 2u);
  EXPECT_EQ((*stages)[0].attempts, 2);
  EXPECT_EQ((*stages)[0].status, kStageFlaky);
  EXPECT_EQ((*stages)[1].attempts, 1);
  EXPECT_EQ(AttemptLogPath("runs/4/backup.log", 2), "runs/4/backup.1.log");
  EXPECT_EQ(AttemptLogPath("runs/4/backup.log", 1), "runs/4/backup.log");
}

INSTANTIATE_TEST_SUITE_P(Drivers, StoreHistoryTest, ::testing::ValuesIn(testing::kStoreDrivers),
                         testing::DriverName);

}  // namespace
}  // namespace ccci
