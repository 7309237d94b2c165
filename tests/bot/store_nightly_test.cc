// The store's nightly slice on both drivers: a pass is run by one node once, each recipe gets
// one run per pass, a nightly run and a push's run leave each other alone, the previous
// night's level, the board's two passes, and the open regression issue per recipe.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "bot/store/sql_store.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/store_drivers.h"
#include "tests/fakes/test_store.h"

namespace ccci {
namespace {

class StoreNightlyTest : public testing::DriverStoreTest {
 protected:
  static RunRequest Nightly(const std::string& repo, const std::string& sha) {
    return RunRequest{repo, 0, sha, "main", "main", "", "nightly", "cc-ci", kNightlyTrigger};
  }
  // Queues `repo`'s run in `pass` and ends it at `level` (nullopt: a CI error).
  int64_t NightlyEnded(const std::string& pass, const std::string& repo,
                       std::optional<int64_t> level) {
    auto q = store_->QueueNightlyRun(pass, Nightly(repo, "sha-" + pass));
    EXPECT_TRUE(q.ok() && q->queued) << (q.ok() ? "not queued" : q.status().ToString());
    if (!q.ok()) return 0;
    EXPECT_TRUE(store_->ClaimRun(q->run_id).value());
    EXPECT_TRUE(store_->FinishRun(q->run_id, level ? kRunFinished : kRunError, level, "").ok());
    return q->run_id;
  }
};

TEST_P(StoreNightlyTest, APassIsClaimedByOneNodeUntilItFinishesOrGoesStale) {
  if (!store_) return;
  const int64_t stale = 600000;
  EXPECT_TRUE(store_->ClaimNightlyPass("2026-12-02", "a", stale).value());
  EXPECT_FALSE(store_->ClaimNightlyPass("2026-12-02", "b", stale).value()) << "a holds it";
  EXPECT_TRUE(store_->ClaimNightlyPass("2026-12-02", "a", stale).value()) << "a renews it";
  clock_.Advance(std::chrono::milliseconds(stale - 1));
  EXPECT_FALSE(store_->ClaimNightlyPass("2026-12-02", "b", stale).value()) << "not stale yet";
  clock_.Advance(std::chrono::milliseconds(2));
  EXPECT_TRUE(store_->ClaimNightlyPass("2026-12-02", "b", stale).value()) << "a went silent";
  EXPECT_FALSE(store_->ClaimNightlyPass("2026-12-02", "a", stale).value()) << "b holds it now";
  ASSERT_TRUE(store_->FinishNightlyPass("2026-12-02", 3).ok());
  EXPECT_FALSE(store_->ClaimNightlyPass("2026-12-02", "b", stale).value()) << "finished";
  clock_.Advance(std::chrono::hours(2));
  EXPECT_FALSE(store_->ClaimNightlyPass("2026-12-02", "c", stale).value()) << "finished";
  EXPECT_TRUE(store_->ClaimNightlyPass("2026-12-03", "c", stale).value()) << "the next night";
}

TEST_P(StoreNightlyTest, NodesClaimingAtOnceOnOneDatabaseGetOneWinner) {
  if (!store_) return;
  auto second = db_.Open(&clock_);  // another front node on the same database
  ASSERT_TRUE(second);
  std::atomic<int> winners{0}, errors{0};
  std::vector<std::thread> nodes;
  for (int i = 0; i < 8; ++i) {
    nodes.emplace_back([&, i] {
      SqlStore* s = i % 2 ? second.get() : store_.get();
      auto won = s->ClaimNightlyPass("2026-12-02", "node" + std::to_string(i), 600000);
      if (!won.ok()) ++errors;
      if (won.ok() && *won) ++winners;
    });
  }
  for (auto& t : nodes) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(winners.load(), 1);
}

TEST_P(StoreNightlyTest, EachRecipeGetsOneRunPerPass) {
  if (!store_) return;
  EXPECT_FALSE(store_->HasNightlyRun("2026-12-02", "o/a").value());
  auto first = store_->QueueNightlyRun("2026-12-02", Nightly("o/a", "aaa"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->queued);
  EXPECT_TRUE(store_->HasNightlyRun("2026-12-02", "o/a").value());
  auto again = store_->QueueNightlyRun("2026-12-02", Nightly("o/a", "bbb"));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->queued);
  EXPECT_EQ(again->run_id, first->run_id);
  auto next_night = store_->QueueNightlyRun("2026-12-03", Nightly("o/a", "aaa"));
  ASSERT_TRUE(next_night.ok());
  EXPECT_TRUE(next_night->queued) << "same head, new night: tested again";
  EXPECT_NE(next_night->run_id, first->run_id);
  auto run = store_->GetRun(first->run_id);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->trigger, "nightly");
  EXPECT_EQ(run->state, kRunQueued);
  EXPECT_EQ(run->pr, 0);
  EXPECT_EQ(run->delivery_id, "nightly:2026-12-02:o/a");
}

TEST_P(StoreNightlyTest, ANightlyRunAndAPushsRunLeaveEachOtherAlone) {
  if (!store_) return;
  RunRequest push{"o/a", 0, "aaa", "main", "main", "", "push to main", "alice", "push"};
  int64_t push_run = testing::QueueRun(store_.get(), push, "push-1");
  ASSERT_TRUE(store_->ClaimRun(push_run).value());  // running
  auto nightly = store_->QueueNightlyRun("2026-12-02", Nightly("o/a", "aaa"));
  ASSERT_TRUE(nightly.ok());
  EXPECT_TRUE(nightly->queued) << "the night gets its own run, even of the same head";
  EXPECT_NE(nightly->run_id, push_run);
  EXPECT_FALSE(store_->GetRun(push_run)->cancel_requested) << "nor does it stop the push's";
  push.head_sha = "bbb";
  int64_t newer = testing::QueueRun(store_.get(), push, "push-2");
  EXPECT_EQ(store_->GetRun(nightly->run_id)->state, kRunQueued) << "a push supersedes no night";
  EXPECT_TRUE(store_->GetRun(push_run)->cancel_requested) << "but still its own older run";
  EXPECT_NE(newer, nightly->run_id);
}

TEST_P(StoreNightlyTest, ThePreviousNightlyLevelPassesOverErrorsAndOtherRuns) {
  if (!store_) return;
  int64_t first = NightlyEnded("2026-12-01", "o/a", 5);
  EXPECT_FALSE(store_->PreviousNightlyLevel("o/a", first).value().has_value());
  NightlyEnded("2026-12-01", "o/b", 2);
  int64_t error = NightlyEnded("2026-12-02", "o/a", std::nullopt);
  EXPECT_EQ(store_->PreviousNightlyLevel("o/a", error).value(), std::optional<int64_t>(5));
  // A push's finished run between nights is not a nightly.
  RunRequest push{"o/a", 0, "ccc", "main", "main", "", "push", "alice", "push"};
  int64_t pushed = testing::QueueRun(store_.get(), push, "p");
  ASSERT_TRUE(store_->ClaimRun(pushed).value());
  ASSERT_TRUE(store_->FinishRun(pushed, kRunFinished, 1, "").ok());
  int64_t third = NightlyEnded("2026-12-03", "o/a", 3);
  EXPECT_EQ(store_->PreviousNightlyLevel("o/a", third).value(), std::optional<int64_t>(5));
  int64_t fourth = NightlyEnded("2026-12-04", "o/a", 4);
  EXPECT_EQ(store_->PreviousNightlyLevel("o/a", fourth).value(), std::optional<int64_t>(3));
}

TEST_P(StoreNightlyTest, TheBoardShowsTheNewestTwoPassesByRecipe) {
  if (!store_) return;
  auto empty = store_->NightlyBoard(10);
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_TRUE(empty->rows.empty());
  EXPECT_EQ(empty->pass_id, "");
  for (const char* pass : {"2026-12-01", "2026-12-02", "2026-12-03"}) {
    ASSERT_TRUE(store_->ClaimNightlyPass(pass, "a", 1000).value());
  }
  NightlyEnded("2026-12-01", "o/b", 8);  // too old to show
  int64_t b2 = NightlyEnded("2026-12-02", "o/b", 6);
  int64_t b3 = NightlyEnded("2026-12-03", "o/b", 4);
  int64_t a3 = NightlyEnded("2026-12-03", "o/a", 2);
  int64_t c2 = NightlyEnded("2026-12-02", "o/c", 1);
  auto board = store_->NightlyBoard(10);
  ASSERT_TRUE(board.ok()) << board.status().ToString();
  EXPECT_EQ(board->pass_id, "2026-12-03");
  EXPECT_EQ(board->previous_pass_id, "2026-12-02");
  ASSERT_EQ(board->rows.size(), 3u);
  EXPECT_EQ(board->rows[0].repo, "o/a");
  EXPECT_EQ(board->rows[0].tonight->id, a3);
  EXPECT_FALSE(board->rows[0].previous);
  EXPECT_EQ(board->rows[1].repo, "o/b");
  EXPECT_EQ(board->rows[1].tonight->id, b3);
  EXPECT_EQ(board->rows[1].tonight->level, std::optional<int64_t>(4));
  EXPECT_EQ(board->rows[1].previous->id, b2);
  EXPECT_EQ(board->rows[2].repo, "o/c");
  EXPECT_FALSE(board->rows[2].tonight) << "not in tonight's pass";
  EXPECT_EQ(board->rows[2].previous->id, c2);
  EXPECT_FALSE(board->truncated);
  auto two = store_->NightlyBoard(2);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->rows.size(), 2u);
  EXPECT_TRUE(two->truncated);
  EXPECT_EQ(two->rows[1].previous->id, b2) << "a recipe cut by the limit is whole";
}

TEST_P(StoreNightlyTest, ARecipeHasAtMostOneOpenRegressionIssue) {
  if (!store_) return;
  EXPECT_FALSE(store_->GetRegressionIssue("o/a").value().has_value());
  ASSERT_TRUE(store_->SetRegressionIssue("o/a", RegressionIssue{7, 5, 3, 11}).ok());
  ASSERT_TRUE(store_->SetRegressionIssue("o/a", RegressionIssue{7, 5, 2, 12}).ok());
  auto issue = store_->GetRegressionIssue("o/a");
  ASSERT_TRUE(issue.ok() && issue->has_value());
  EXPECT_EQ((*issue)->issue, 7);
  EXPECT_EQ((*issue)->baseline_level, 5);
  EXPECT_EQ((*issue)->level, 2);
  EXPECT_EQ((*issue)->run_id, 12);
  EXPECT_FALSE(store_->GetRegressionIssue("o/b").value().has_value());
  ASSERT_TRUE(store_->ClearRegressionIssue("o/a").ok());
  EXPECT_FALSE(store_->GetRegressionIssue("o/a").value().has_value());
}

INSTANTIATE_TEST_SUITE_P(Drivers, StoreNightlyTest, ::testing::ValuesIn(testing::kStoreDrivers),
                         testing::DriverName);

}  // namespace
}  // namespace ccci
