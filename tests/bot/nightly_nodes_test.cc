// Several front nodes on one database run the nightly pass at once (threads, each with its
// own store connection, as separate hosts have): one pass, one run per recipe, whichever
// node gets there first. On both drivers; on PostgreSQL this is the multi-host case.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
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
    if (on_ask) on_ask();
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
  std::function<void()> on_ask;  // e.g. time passing while Gitea answers
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

// Gitea answering slowly (2 minutes a lookup here): the node running the pass keeps its claim
// fresh by time, so another node ticking meanwhile neither takes the pass over nor asks Gitea
// again; the pass runs on one node, each recipe asked once.
TEST_P(NightlyNodesTest, ASlowGiteaDoesNotLetAnotherNodeTakeOverAPassInProgress) {
  if (!db_.available()) return;
  std::vector<std::string> repos;
  for (int i = 0; i < 10; ++i) repos.push_back("coop-cloud/r" + std::to_string(i));
  auto store_a = db_.Open(&clock_);
  auto store_b = db_.Open(&clock_);
  ASSERT_TRUE(store_a && store_b);
  auto opts = [&](const std::string& node) {
    Nightly::Options o;
    o.minute = 150;
    o.repos = repos;
    o.node = node;
    o.clock = &clock_;
    return o;
  };
  StaticHeads heads;
  Nightly b(store_b.get(), store_b.get(), &heads, opts("b"));
  std::vector<bool> b_ran;
  bool in_b = false;  // b's own lookups, if it took the pass over, only take time
  heads.on_ask = [&] {
    clock_.Advance(std::chrono::minutes(2));
    if (in_b) return;
    in_b = true;
    b_ran.push_back(b.Tick().ran);
    in_b = false;
  };
  Nightly a(store_a.get(), store_a.get(), &heads, opts("a"));
  Nightly::Pass pass = a.Tick();
  EXPECT_TRUE(pass.ran);
  EXPECT_EQ(pass.queued, 10);
  EXPECT_EQ(heads.asked.load(), 10) << "b asked Gitea for none: it never took the pass over";
  EXPECT_EQ(b_ran, std::vector<bool>(10, false));
  EXPECT_GT(2 * 10, static_cast<int>(kNightlyStaleMs / 60000)) << "the pass outlasted a claim";
}

INSTANTIATE_TEST_SUITE_P(Drivers, NightlyNodesTest, ::testing::ValuesIn(testing::kStoreDrivers),
                         testing::DriverName);

}  // namespace
}  // namespace ccci
