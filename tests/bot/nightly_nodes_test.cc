// Several front nodes on one database run the nightly pass at once (threads, each with its
// own store connection, as separate hosts have): one pass, one run per recipe, whichever
// node gets there first. On both drivers; on PostgreSQL this is the multi-host case.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "bot/intake/nightly.h"
#include "bot/store/sql_store.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/store_drivers.h"

namespace ccci {
namespace {

// Every repo's default branch is main at one head; counts the questions.
class StaticHeads : public IssueWriter {
 public:
  Result<BranchHead> GetDefaultBranchHead(const std::string& repo) override {
    ++asked;
    return BranchHead{"main", std::string(40, 'b'), "https://git.example/" + repo + ".git"};
  }
  Result<int64_t> CreateIssue(const std::string&, const std::string&, const std::string&) override {
    return Internal("not used");
  }
  Status EditIssue(const std::string&, int64_t, const IssueEdit&) override {
    return Internal("not used");
  }
  Result<std::vector<ForgeIssue>> ListOpenIssues(const std::string&, const std::string&) override {
    return Internal("not used");
  }
  std::atomic<int> asked{0};
};

class NightlyNodesTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override { db_.Prepare(); }
  testing::FakeClock clock_{std::chrono::system_clock::time_point(
      std::chrono::seconds(1796181600))};  // 2026-12-02 03:20 UTC, past 02:30
  testing::DriverStore db_{GetParam()};
};

TEST_P(NightlyNodesTest, FourNodesAtOnceRunTheNightOnce) {
  if (!db_.available()) return;
  std::vector<std::string> repos;
  for (int i = 0; i < 20; ++i) repos.push_back("coop-cloud/r" + std::to_string(i));
  constexpr int kNodes = 4;
  std::vector<std::unique_ptr<SqlStore>> stores;
  for (int i = 0; i < kNodes; ++i) {
    stores.push_back(db_.Open(&clock_));
    ASSERT_TRUE(stores.back());
  }
  StaticHeads heads;
  std::vector<std::unique_ptr<Nightly>> nodes;
  for (int i = 0; i < kNodes; ++i) {
    Nightly::Options o;
    o.minute = 150;
    o.repos = repos;
    o.node = "node" + std::to_string(i);
    o.clock = &clock_;
    nodes.push_back(std::make_unique<Nightly>(stores[i].get(), stores[i].get(), &heads, o));
  }
  std::atomic<int> ran{0}, queued{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kNodes; ++i) {
    threads.emplace_back([&, i] {
      for (int tick = 0; tick < 3; ++tick) {
        Nightly::Pass p = nodes[i]->Tick();
        if (p.ran) ++ran;
        queued += p.queued;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ran.load(), 1) << "one node ran the pass";
  EXPECT_EQ(queued.load(), 20);
  EXPECT_EQ(heads.asked.load(), 20) << "each recipe asked of Gitea once";
  RunQuery q;
  q.limit = 500;
  auto page = stores[0]->ListRuns(q);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->runs.size(), 20u);
  auto board = stores[0]->NightlyBoard(100);
  ASSERT_TRUE(board.ok());
  EXPECT_EQ(board->pass_id, "2026-12-02");
  EXPECT_EQ(board->rows.size(), 20u);
}

INSTANTIATE_TEST_SUITE_P(Drivers, NightlyNodesTest, ::testing::ValuesIn(testing::kStoreDrivers),
                         testing::DriverName);

}  // namespace
}  // namespace ccci
