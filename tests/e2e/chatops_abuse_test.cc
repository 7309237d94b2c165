// Any Gitea user can comment on a PR (issue 11.4, 11.5): one comment gets at most one reply,
// whatever it holds; replies never echo the commenter's Markdown; and replies, however many,
// never hold the PR's own report (sticky comment, commit status) back.

#include <gtest/gtest.h>

#include <memory>

#include "tests/fakes/bot_wiring.h"
#include "tests/fakes/payload_edit.h"

namespace ccci {
namespace {

using testing::With;

class ChatopsAbuseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(bot_.Post("pull_request",
                        testing::ReadShared("gitea/payloads/pull_request_opened.json"), "d0")
                  .status,
              202);
  }
  void TearDown() override {
    auto v = bot_.gitea.violations();
    EXPECT_TRUE(v.empty()) << v[0];
  }
  // A new comment on PR 17 by `author`, who has no write access.
  int Comment(const std::string& author, const std::string& body, int64_t id) {
    std::string s = With("issue_comment_created_on_pr.json", "/comment/body", body);
    s = With(s, "/comment/id", id);
    s = With(s, "/comment/user/login", author);
    s = With(s, "/sender/login", author);
    s = With(s, "/repository/permissions/push", rapidjson::Value(false));
    return bot_.Post("issue_comment", s, "c" + std::to_string(id)).status;
  }
  // Handles the pending commands and delivers what is due.
  void Answer() {
    bot_.commands->ProcessPending();
    bot_.reporter->ReportPending();
    bot_.outbox->DeliverDue();
  }
  std::vector<std::string> Replies() {
    std::vector<std::string> out;
    for (const auto& c : bot_.gitea.comments()) {
      if (c.author == "cc-ci" && c.body.find(kStickyMarker) == std::string::npos)
        out.push_back(c.body);
    }
    return out;
  }

  testing::BotWiring bot_{{}};
  // Shorthands for what the tests use most.
  SqlStore* store_ = bot_.store.get();
  Outbox* outbox_ = bot_.outbox.get();
  testing::FakeClock& clock_ = bot_.clock;
};

TEST_F(ChatopsAbuseTest, TwentyThousandUnknownCommandsInOneCommentGetOneReply) {
  std::string body;
  for (int i = 0; i < 20000; ++i) body += "!cc-ci z" + std::to_string(i) + "\n";
  ASSERT_EQ(Comment("mallory", body, 9500), 202);
  Answer();
  auto replies = Replies();
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_LT(replies[0].size(), 2048u);
  EXPECT_NE(replies[0].find("@mallory: unknown commands `z0`, `z1`, `z2`, `z3`, `z4` and more."),
            std::string::npos)
      << replies[0];
  EXPECT_EQ(store_->RecentMessages(100).value().size(), 3u) << "sticky, status and one reply";
}

TEST_F(ChatopsAbuseTest, SeveralCommandsInOneCommentGetOneCombinedReply) {
  ASSERT_EQ(
      Comment("mallory", "!cc-ci cancel\n!cc-ci retest\n!cc-ci frobnicate\n!cc-ci help", 9501),
      202);
  Answer();
  auto replies = Replies();
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].find(
                "@mallory:\n"
                "- `!cc-ci cancel` needs write access to coop-cloud/nextcloud; ask a maintainer.\n"
                "- `!cc-ci retest` needs write access to coop-cloud/nextcloud; ask a maintainer.\n"
                "- unknown command `frobnicate`.\n\ncc-ci understands these commands"),
            0u)
      << replies[0];
  EXPECT_EQ(store_->GetRun(1).value().state, kRunQueued);
}

TEST_F(ChatopsAbuseTest, RepliesNeverEchoTheCommentersMarkdown) {
  ASSERT_EQ(Comment("mallory",
                    "!cc-ci x` ![pwn](http://evil.example/p.png) [click](http://evil.example/) "
                    "@admin `",
                    9502),
            202);
  ASSERT_EQ(Comment("eve", "!cc-ci ![pwn](http://evil.example/p.png)@admin", 9503), 202);
  ASSERT_EQ(Comment("oscar", "!cc-ci " + std::string(900 * 1024, 'a'), 9504), 202);
  ASSERT_EQ(Comment("trent", "!cc-ci a\x01\x1b[31m`b", 9505), 202);
  Answer();
  auto replies = Replies();
  ASSERT_EQ(replies.size(), 4u);
  EXPECT_NE(replies[0].find("@mallory: unknown command `x'`."), std::string::npos) << replies[0];
  // The word is shown cut to 32 characters, inside a code span it cannot close.
  EXPECT_NE(replies[1].find("@eve: unknown command `![pwn](http://evil.example/p.pn\xE2\x80\xA6`."),
            std::string::npos)
      << replies[1];
  EXPECT_NE(replies[2].find("@oscar: unknown command `" + std::string(31, 'a') + "\xE2\x80\xA6`."),
            std::string::npos);
  EXPECT_LT(replies[2].size(), 2048u);
  EXPECT_NE(replies[3].find("@trent: unknown command `a\xEF\xBF\xBD\xEF\xBF\xBD[31m'b`."),
            std::string::npos)
      << replies[3];
  for (const std::string& r : replies) {
    EXPECT_EQ(r.find("@admin"), std::string::npos) << r;
    EXPECT_EQ(r.find("[click]"), std::string::npos) << r;
  }
}

TEST_F(ChatopsAbuseTest, ManyUsersCannotBuryAPrUnderReplies) {
  for (int i = 0; i < 30; ++i) {
    ASSERT_EQ(Comment("user" + std::to_string(i), "!cc-ci help", 9600 + i), 202);
  }
  Answer();
  EXPECT_EQ(Replies().size(), 10u) << "the PR's reply budget for the window";
  clock_.Advance(std::chrono::minutes(11));
  ASSERT_EQ(Comment("late", "!cc-ci help", 9700), 202);
  Answer();
  EXPECT_EQ(Replies().size(), 11u);
}

TEST_F(ChatopsAbuseTest, ABacklogOfRepliesDoesNotHoldThePrsReportBack) {
  Answer();  // the queued run's sticky and status are delivered
  // Gitea refuses the next requests: replies pile up in the outbox, retried later.
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(outbox_->Reply("coop-cloud/nextcloud", 17, "r" + std::to_string(i)).ok());
  bot_.gitea.FailNext(1, 503);
  outbox_->DeliverDue();  // the first reply fails and waits for its retry
  // The run starts: its new report must go out now, not after ten replies.
  ASSERT_TRUE(store_->ClaimRun(1).value());
  bot_.reporter->ReportPending();
  outbox_->DeliverDue();
  auto statuses = bot_.gitea.statuses();
  ASSERT_FALSE(statuses.empty());
  EXPECT_EQ(statuses.back().description, "cc-ci run 1 running");
  EXPECT_TRUE(Replies().empty()) << "replies keep their own order and wait for their retry";
}

}  // namespace
}  // namespace ccci
