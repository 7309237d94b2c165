// Replays under a new delivery id (issue 11.11): the signature does not cover X-Gitea-Delivery,
// so anyone who saw a signed body can post it again. An older "opened" replaced the newer
// head's run; a "closed" replayed after a reopen cancelled the new run.
#include <gtest/gtest.h>

#include "bot/intake/intake.h"
#include "bot/store/sql_store.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/payload_edit.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/test_store.h"

namespace ccci {
namespace {

using testing::With;

constexpr const char* kHeadA = "9b2e7c4d1a0f3e5b6c8d7a9e0f1b2c3d4e5f6a7b";  // opened
constexpr const char* kHeadB = "c3a1f7e9d2b4c6a8e0f1d3b5a7c9e1f2a4b6c8d0";  // synchronized

// The "opened" fixture as Gitea would send it with `action`, `updated_at` and `state`.
std::string Pr(const std::string& action, const std::string& updated_at,
               const std::string& state = "open") {
  std::string s = With("pull_request_opened.json", "/action", action);
  s = With(s, "/pull_request/updated_at", updated_at);
  return With(s, "/pull_request/state", state);
}

class ReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = testing::OpenTestStore(dir_.File("cc-ci.db"), &clock_);
    ASSERT_TRUE(store_);
    intake_ = std::make_unique<Intake>(store_.get(), Intake::Options{{"s"}, "cc-ci", &clock_, {}});
  }
  IntakeResponse Post(const std::string& body, const std::string& delivery) {
    WebhookRequest r;
    r.event = "pull_request";
    r.delivery = delivery;
    r.body = body;
    r.signature = HmacSha256Hex("s", body);
    return intake_->Handle(r);
  }
  // The deliveries are forgotten (storage.delivery_retention): only the PR's newest
  // updated_at tells a replay from news then.
  void ForgetDeliveries() {
    clock_.Advance(std::chrono::hours(24 * 31));
    ASSERT_TRUE(store_->PruneDeliveries(int64_t{30} * 86400 * 1000).ok());
  }
  std::vector<ccci::Run> Runs() { return store_->ListRuns({}).value().runs; }  // newest first

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<SqlStore> store_;
  std::unique_ptr<Intake> intake_;
};

TEST_F(ReplayTest, AnOlderOpenedReplayedUnderANewIdNeverReplacesTheNewerHead) {
  std::string opened = testing::ReadShared("gitea/payloads/pull_request_opened.json");
  ASSERT_EQ(Post(opened, "d1").status, 202);
  ASSERT_EQ(Post(testing::ReadShared("gitea/payloads/pull_request_synchronized.json"), "d2").status,
            202);
  IntakeResponse replay = Post(opened, "replay-1");
  EXPECT_EQ(replay.status, 200);
  EXPECT_EQ(replay.message, "duplicate: delivery replay-1 repeats the payload of delivery d1");
  ForgetDeliveries();
  IntakeResponse late = Post(opened, "replay-2");
  EXPECT_EQ(late.status, 200);
  EXPECT_EQ(late.outcome, "stale");
  EXPECT_EQ(late.message,
            "ignored: stale: coop-cloud/nextcloud#17 has a delivery updated at "
            "2026-07-20T11:02:47.000Z, newer than this payload");
  auto runs = Runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].head_sha, kHeadB);
  EXPECT_EQ(runs[0].state, kRunQueued);
  EXPECT_EQ(runs[1].state, kRunSuperseded);
}

// During a secret rotation Gitea may sign the same body under either secret (a webhook's
// secret was changed between the delivery and its "Redeliver").
TEST_F(ReplayTest, ABodyRedeliveredUnderTheOtherSecretOfARotationIsADuplicate) {
  intake_ = std::make_unique<Intake>(store_.get(),
                                     Intake::Options{{"old", "new"}, "cc-ci", &clock_, {}});
  std::string opened = testing::ReadShared("gitea/payloads/pull_request_opened.json");
  WebhookRequest r;
  r.event = "pull_request";
  r.delivery = "d1";
  r.body = opened;
  r.signature = HmacSha256Hex("old", opened);
  ASSERT_EQ(intake_->Handle(r).status, 202);
  r.delivery = "d2";
  r.signature = HmacSha256Hex("new", opened);
  IntakeResponse again = intake_->Handle(r);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.message, "duplicate: delivery d2 repeats the payload of delivery d1");
  EXPECT_EQ(Runs().size(), 1u);
}

TEST_F(ReplayTest, AClosedReplayedAfterAReopenNeverCancelsTheNewRun) {
  std::string closed = Pr("closed", "2026-07-20T10:00:00Z", "closed");
  ASSERT_EQ(Post(Pr("opened", "2026-07-20T09:14:03Z"), "d1").status, 202);
  ASSERT_EQ(Post(closed, "d2").status, 202);
  ASSERT_TRUE(store_->Approve("coop-cloud/nextcloud", 17, "bob").ok());
  ASSERT_EQ(Post(Pr("reopened", "2026-07-20T10:30:00Z"), "d3").status, 202);
  int64_t reopened_run = Runs()[0].id;
  EXPECT_EQ(Post(closed, "replay-1").outcome, "duplicate");
  ForgetDeliveries();
  EXPECT_EQ(Post(closed, "replay-2").outcome, "stale");
  EXPECT_EQ(store_->GetRun(reopened_run)->state, kRunQueued);
  EXPECT_TRUE(store_->IsApproved("coop-cloud/nextcloud", 17).value())
      << "a stale close does not end the PR's approval";
}

TEST_F(ReplayTest, WithoutAForgeToAskASameSecondDeliveryIsApplied) {
  // Gitea can send two events in one second; with nobody to ask, the later one wins.
  ASSERT_EQ(Post(Pr("opened", "2026-07-20T09:14:03Z"), "d1").status, 202);
  std::string sync = With(Pr("synchronized", "2026-07-20T09:14:03Z"), "/pull_request/head/sha",
                          std::string(kHeadB));
  IntakeResponse r = Post(sync, "d2");
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(r.message, "accepted: run 2 queued for coop-cloud/nextcloud#17 at c3a1f7e");
}

TEST_F(ReplayTest, AnUpdatedAtThatIsNotATimeIsRefused) {
  IntakeResponse r = Post(Pr("opened", "yesterday"), "d1");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.message,
            "bad request: not a pull_request payload: pull_request.updated_at: not an "
            "RFC 3339 time");
}

TEST(Rfc3339Test, ParsesGiteasTimes) {
  EXPECT_EQ(ParseRfc3339Millis("2026-07-20T11:02:47Z"), 1784545367000);
  EXPECT_EQ(ParseRfc3339Millis("2026-07-20T13:02:47+02:00"), 1784545367000);
  EXPECT_EQ(ParseRfc3339Millis("2026-07-20T11:02:47.25Z"), 1784545367250);
  EXPECT_EQ(ParseRfc3339Millis("2026-07-20 11:02:47"), std::nullopt);
  EXPECT_EQ(ParseRfc3339Millis("2026-07-20T11:02:47"), std::nullopt);
  EXPECT_EQ(ParseRfc3339Millis(""), std::nullopt);
}

}  // namespace
}  // namespace ccci
