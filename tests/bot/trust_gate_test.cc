// TrustGate: which runs start at once and which wait for a trusted `!cc-ci ok-to-test`.
#include "bot/gate/trust_gate.h"

#include <gtest/gtest.h>

#include <map>

#include "bot/store/sql_store.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/recording_forge.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/test_store.h"

namespace ccci {
namespace {

constexpr const char* kRepo = "coop-cloud/nextcloud";

class TrustGateTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = testing::OpenTestStore(dir_.path() + "/cc-ci.db", &clock_); }
  TrustGate Gate(ForgeClient* forge) {
    TrustGate::Options o;
    o.trusted_users = {"Dana"};
    o.cache_ttl = std::chrono::seconds(300);
    o.clock = &clock_;
    return TrustGate(store_.get(), forge, o);
  }
  static ccci::Run PrRun(const std::string& author, int64_t pr = 17,
                         const std::string& trigger = "opened", const std::string& repo = kRepo) {
    ccci::Run r;
    r.id = 1;
    r.repo = repo;
    r.pr = pr;
    r.head_sha = "9b2e7c4d";
    r.author = author;
    r.trigger = trigger;
    r.state = kRunQueued;
    return r;
  }
  // "admit: <why>" or "hold: <reason>" or "error: <status>".
  static std::string Decide(TrustGate& gate, const ccci::Run& run) {
    auto d = gate.Admit(run);
    if (!d.ok()) return "error: " + d.status().ToString();
    return (d->admit ? "admit: " : "hold: ") + d->reason;
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<SqlStore> store_;
  testing::RecordingForge forge_;
};

TEST_F(TrustGateTest, BranchRunsAndTrustedRetestsStartWithoutAsking) {
  forge_.Fail("GetPermission", Unavailable("gitea is down"));
  TrustGate gate = Gate(&forge_);
  EXPECT_EQ(Decide(gate, PrRun("mallory", 0, "push")), "admit: branch run");
  EXPECT_EQ(Decide(gate, PrRun("mallory", 17, "retest")), "admit: retest by a trusted user");
  EXPECT_TRUE(forge_.calls().empty());
}

TEST_F(TrustGateTest, AnAllowlistedAuthorStartsWithoutAsking) {
  forge_.Fail("GetPermission", Unavailable("gitea is down"));
  TrustGate gate = Gate(&forge_);
  EXPECT_EQ(Decide(gate, PrRun("dana")), "admit: author is in gitea.trusted_users");
  EXPECT_TRUE(forge_.calls().empty());
}

TEST_F(TrustGateTest, ThePermissionApiDecidesForOtherAuthors) {
  struct Case {
    std::string permission;  // "" = unknown user (404)
    bool admit;
  };
  const std::vector<Case> cases = {
      {"owner", true}, {"admin", true}, {"write", true},
      {"read", false}, {"none", false}, {"", false},
  };
  for (const Case& c : cases) {
    testing::RecordingForge forge;
    if (!c.permission.empty()) forge.permissions["alice"] = c.permission;
    TrustGate gate = Gate(&forge);
    auto d = gate.Admit(PrRun("alice"));
    ASSERT_TRUE(d.ok()) << c.permission << ": " << d.status().ToString();
    EXPECT_EQ(d->admit, c.admit) << c.permission;
    if (!c.admit) {
      EXPECT_EQ(d->reason, TrustGate::kWaitingReason);
    }
    EXPECT_EQ(forge.calls(),
              std::vector<std::string>{"GetPermission " + std::string(kRepo) + " alice"});
  }
}

TEST_F(TrustGateTest, AForbiddenPermissionCallHoldsTheRun) {
  // The bot's token lacks admin on the repo: Gitea answers 403 (FACTS.md 4.5). Waiting for
  // an ok-to-test beats a run queued forever.
  forge_.Fail("GetPermission", Status(Code::kPermissionDenied,
                                      "token does not have at least one of required scope(s)"));
  TrustGate gate = Gate(&forge_);
  EXPECT_EQ(Decide(gate, PrRun("alice")), std::string("hold: ") + TrustGate::kWaitingReason);
}

TEST_F(TrustGateTest, AnswersAreCachedPerRepoAndLoginForTheTtl) {
  forge_.permissions["alice"] = "write";
  forge_.permissions["mallory"] = "read";
  TrustGate gate = Gate(&forge_);
  EXPECT_TRUE(gate.Admit(PrRun("alice", 17)).value().admit);
  EXPECT_TRUE(gate.Admit(PrRun("Alice", 18)).value().admit);  // logins are case-insensitive
  EXPECT_FALSE(gate.Admit(PrRun("mallory", 19)).value().admit);
  EXPECT_FALSE(gate.Admit(PrRun("mallory", 19)).value().admit);
  EXPECT_EQ(forge_.calls().size(), 2u) << "one question per (repo, login)";
  EXPECT_TRUE(gate.Admit(PrRun("alice", 3, "opened", "coop-cloud/traefik")).value().admit);
  EXPECT_EQ(forge_.calls().size(), 3u) << "another repo is another question";

  forge_.permissions["mallory"] = "write";  // given write meanwhile
  clock_.Advance(std::chrono::seconds(299));
  EXPECT_FALSE(gate.Admit(PrRun("mallory", 19)).value().admit) << "still cached";
  clock_.Advance(std::chrono::seconds(2));
  EXPECT_TRUE(gate.Admit(PrRun("mallory", 19)).value().admit) << "asked again after the ttl";
  EXPECT_EQ(forge_.calls().size(), 4u);
}

TEST_F(TrustGateTest, AForgeErrorIsReturnedAndNotCached) {
  forge_.permissions["alice"] = "write";
  forge_.Fail("GetPermission", Unavailable("cannot reach Gitea: Couldn't connect to server"));
  TrustGate gate = Gate(&forge_);
  auto d = gate.Admit(PrRun("alice"));
  ASSERT_FALSE(d.ok()) << "the run stays queued and is asked about again";
  EXPECT_EQ(d.status().code(), Code::kUnavailable);
  forge_.Fail("GetPermission", Status::Ok());
  EXPECT_EQ(Decide(gate, PrRun("alice")), "admit: author has write permission");
  EXPECT_EQ(forge_.calls().size(), 2u);
}

TEST_F(TrustGateTest, AnApprovalAdmitsEveryLaterPushUntilThePrCloses) {
  forge_.permissions["mallory"] = "read";
  TrustGate gate = Gate(&forge_);
  EXPECT_FALSE(gate.Admit(PrRun("mallory", 17, "opened")).value().admit);
  ASSERT_TRUE(store_->Approve(kRepo, 17, "dana").ok());
  ccci::Run push = PrRun("mallory", 17, "synchronized");
  EXPECT_EQ(Decide(gate, push), "admit: ok-to-test");
  push.head_sha = "c3a1f7e9";
  EXPECT_EQ(Decide(gate, push), "admit: ok-to-test");
  EXPECT_FALSE(gate.Admit(PrRun("mallory", 18)).value().admit) << "another PR is not approved";

  Delivery closed;
  closed.id = "close-17";
  closed.event = "pull_request";
  closed.action = "closed";
  closed.repo = kRepo;
  closed.pr = 17;
  Work w;
  w.kind = Work::Kind::kCancel;
  w.cancel_repo = kRepo;
  w.cancel_pr = 17;
  w.cancel_reason = "pull request closed";
  ASSERT_TRUE(store_->RecordDelivery(closed, w).ok());
  EXPECT_EQ(Decide(gate, PrRun("mallory", 17, "reopened")),
            std::string("hold: ") + TrustGate::kWaitingReason);
}

TEST_F(TrustGateTest, WithoutAForgeOnlyTheAllowlistApprovalsAndRetestsAdmit) {
  TrustGate gate = Gate(nullptr);  // dry-run without a token
  EXPECT_FALSE(gate.Admit(PrRun("alice")).value().admit);
  EXPECT_TRUE(gate.Admit(PrRun("dana")).value().admit);
  ASSERT_TRUE(store_->Approve(kRepo, 17, "dana").ok());
  EXPECT_TRUE(gate.Admit(PrRun("alice")).value().admit);
}

}  // namespace
}  // namespace ccci
