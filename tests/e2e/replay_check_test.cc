// A delivery as new as the PR's newest (the same updated_at, to the second) that says
// otherwise cannot be told from a replay by cc-ci alone: it is kept, and the reconciler asks
// Gitea what the PR is before anything is superseded or cancelled (issue 11.11).

#include <gtest/gtest.h>

#include <memory>

#include "bot/intake/reconciler.h"
#include "tests/fakes/bot_wiring.h"
#include "tests/fakes/payload_edit.h"

namespace ccci {
namespace {

using testing::With;

constexpr const char* kSecond = "2026-07-20T10:30:00Z";
constexpr const char* kHeadA = "9b2e7c4d1a0f3e5b6c8d7a9e0f1b2c3d4e5f6a7b";
constexpr const char* kHeadB = "5d0c2b1a9f8e7d6c5b4a39281706f5e4d3c2b1a0";

std::string Pr(const std::string& action, const std::string& state, const std::string& head) {
  std::string s = With("pull_request_opened.json", "/action", action);
  s = With(s, "/pull_request/updated_at", std::string(kSecond));
  s = With(s, "/pull_request/state", state);
  return With(s, "/pull_request/head/sha", head);
}

class ReplayCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Reconciler::Options ro;
    ro.clock = &bot_.clock;
    reconciler_ = std::make_unique<Reconciler>(store_, store_, bot_.client.get(), ro, store_);
    gitea_.SetPullHead(17, kHeadA);
    ASSERT_EQ(Post(Pr("reopened", "open", kHeadA), "d1").status, 202);
  }
  void TearDown() override {
    auto v = gitea_.violations();
    EXPECT_TRUE(v.empty()) << v[0];
  }
  IntakeResponse Post(const std::string& body, const std::string& delivery) {
    return bot_.Post("pull_request", body, delivery);
  }
  std::vector<ccci::Run> Runs() { return bot_.Runs(); }

  testing::BotWiring bot_{[] {
    testing::BotWiring::Options o;
    o.check_doubts_with_forge = true;  // as serve does with a Gitea token
    return o;
  }()};
  SqlStore* store_ = bot_.store.get();
  testing::FakeGitea& gitea_ = bot_.gitea;
  std::unique_ptr<Reconciler> reconciler_;
};

TEST_F(ReplayCheckTest, AClosedThatGiteaSaysIsOpenNeverCancels) {
  IntakeResponse r = Post(Pr("closed", "closed", kHeadA), "d2");
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(r.message,
            "accepted: coop-cloud/nextcloud#17 will be checked with Gitea first: this "
            "payload is no newer than the last one and says otherwise");
  EXPECT_EQ(Runs()[0].state, kRunQueued) << "nothing changes before Gitea is asked";
  EXPECT_EQ(reconciler_->CheckDoubts(), 1);
  EXPECT_EQ(Runs()[0].state, kRunQueued);
  EXPECT_TRUE(store_->PendingPrChecks(10).value().empty());
}

TEST_F(ReplayCheckTest, AClosedThatGiteaConfirmsCancels) {
  ASSERT_EQ(Post(Pr("closed", "closed", kHeadA), "d2").status, 202);
  gitea_.ClosePull(17, false);
  EXPECT_EQ(reconciler_->CheckDoubts(), 1);
  EXPECT_EQ(Runs()[0].state, kRunCancelled);
  EXPECT_EQ(Runs()[0].reason, "pull request closed");
}

TEST_F(ReplayCheckTest, ANewHeadInTheSameSecondRunsOnceGiteaConfirmsIt) {
  ASSERT_EQ(Post(Pr("synchronized", "open", kHeadB), "d2").status, 202);
  ASSERT_EQ(Runs().size(), 1u);
  gitea_.SetPullHead(17, kHeadB);
  EXPECT_EQ(reconciler_->CheckDoubts(), 1);
  auto runs = Runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].head_sha, kHeadB);
  EXPECT_EQ(runs[0].state, kRunQueued);
  EXPECT_EQ(runs[1].state, kRunSuperseded);
}

TEST_F(ReplayCheckTest, AnOldHeadInTheSameSecondNeverReplacesGiteasHead) {
  ASSERT_EQ(Post(Pr("opened", "open", kHeadB), "d2").status, 202);
  EXPECT_EQ(reconciler_->CheckDoubts(), 1);  // Gitea's head is A
  auto runs = Runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].head_sha, kHeadA);
  EXPECT_EQ(runs[0].state, kRunQueued);
}

TEST_F(ReplayCheckTest, AnUnreachableGiteaLeavesTheCheckForLater) {
  ASSERT_EQ(Post(Pr("closed", "closed", kHeadA), "d2").status, 202);
  gitea_.FailNext(1, 503);
  EXPECT_EQ(reconciler_->CheckDoubts(), 0);
  EXPECT_EQ(store_->PendingPrChecks(10).value().size(), 1u);
  gitea_.ClosePull(17, true);
  EXPECT_EQ(reconciler_->CheckDoubts(), 1);
  EXPECT_EQ(Runs()[0].reason, "pull request merged");
}

}  // namespace
}  // namespace ccci
