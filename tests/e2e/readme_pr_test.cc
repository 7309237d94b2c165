// The README scores PR against the fake Gitea (every request checked against Gitea's
// swagger.v1.json) through the real GiteaClient and outbox: opened once, kept up to date as the
// README and the measurements change, closed when the README agrees, never duplicated, also
// when deliveries fail and are retried.
#include "bot/report/readme_pr.h"

#include <gtest/gtest.h>

#include "bot/forge/gitea_client.h"
#include "bot/forge/outbox.h"
#include "bot/runner/readme_scores.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_gitea.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/test_store.h"

namespace ccci {
namespace {

constexpr const char* kRepo = "coop-cloud/bonfire";

class ReadmePrTest : public ::testing::Test {
 protected:
  ReadmePrTest() : gitea_("tok") {
    GiteaClient::Options go;
    go.base_url = gitea_.base_url();
    go.token = "tok";
    go.max_attempts = 1;
    client_ = std::make_unique<GiteaClient>(go);
    readme_ = testing::ReadShared("recipes/bonfire/README.md");
    gitea_.SetFile("main", "README.md", readme_);
  }
  void TearDown() override {
    auto v = gitea_.violations();
    EXPECT_TRUE(v.empty()) << v[0];
  }
  ReadmePrRequest Request(std::map<std::string, std::string> scores) {
    return {"main", std::move(scores), "0123456789abcdef", "http://ci.example/runs/4"};
  }
  std::string Deliver(const ReadmePrRequest& r) {
    auto done = DeliverReadmePr(client_.get(), kRepo, r);
    EXPECT_TRUE(done.ok()) << done.status().ToString();
    return done.ok() ? *done : done.status().ToString();
  }

  testing::FakeGitea gitea_;
  std::unique_ptr<GiteaClient> client_;
  std::string readme_;
  const std::map<std::string, std::string> kMeasured = {{"Healthcheck", "Yes"},
                                                        {"Tests", "3, cc-ci level 8"}};
};

TEST_F(ReadmePrTest, OpenedOnceUpdatedClosedAndNeverDuplicated) {
  EXPECT_EQ(Deliver(Request(kMeasured)), "opened #1");
  ASSERT_EQ(gitea_.pulls().size(), 1u);
  auto pr = gitea_.pulls()[0];
  EXPECT_EQ(pr.head, kReadmeScoresBranch);
  EXPECT_EQ(pr.base, "main");
  EXPECT_NE(pr.body.find("| Healthcheck | (empty) | Yes |"), std::string::npos) << pr.body;
  std::string wanted = runner::ReadmeWithScores(readme_, kMeasured);
  EXPECT_EQ(gitea_.File(kReadmeScoresBranch, "README.md"), wanted);
  EXPECT_EQ(gitea_.File("main", "README.md"), readme_) << "main is the maintainer's";
  // Only the metadata block changes.
  EXPECT_EQ(wanted.substr(0, wanted.find("<!-- metadata -->")),
            readme_.substr(0, readme_.find("<!-- metadata -->")));
  EXPECT_EQ(wanted.substr(wanted.find("<!-- endmetadata -->")),
            readme_.substr(readme_.find("<!-- endmetadata -->")));

  // The same measurement again: nothing new.
  int commits = gitea_.Commits(kReadmeScoresBranch);
  EXPECT_EQ(Deliver(Request(kMeasured)), "#1 is up to date");
  EXPECT_EQ(gitea_.pulls().size(), 1u);
  EXPECT_EQ(gitea_.Commits(kReadmeScoresBranch), commits);

  // The maintainer edits the README elsewhere, and a service loses its healthcheck: the branch
  // is rebuilt on the README as it is now, the one PR edited.
  std::string edited = readme_ + "\n## Upgrading\n\nRead the release notes.\n";
  gitea_.SetFile("main", "README.md", edited);
  std::map<std::string, std::string> now = {{"Healthcheck", "No"}, {"Tests", "2, cc-ci level 6"}};
  EXPECT_EQ(Deliver(Request(now)), "updated #1");
  ASSERT_EQ(gitea_.pulls().size(), 1u);
  EXPECT_EQ(gitea_.File(kReadmeScoresBranch, "README.md"), runner::ReadmeWithScores(edited, now));
  EXPECT_EQ(gitea_.Commits(kReadmeScoresBranch), gitea_.Commits("main") + 1)
      << "one commit on top of main, not a pile on the old branch";
  EXPECT_NE(gitea_.pulls()[0].body.find("| Tests | (empty) | 2, cc-ci level 6 |"),
            std::string::npos);

  // The maintainer merges: main agrees, and the PR that has nothing left to change is closed.
  gitea_.SetFile("main", "README.md", runner::ReadmeWithScores(edited, now));
  EXPECT_EQ(Deliver(Request(now)), "closed #1: README.md on main already agrees");
  EXPECT_EQ(gitea_.pulls()[0].state, "closed");
  EXPECT_EQ(Deliver(Request(now)), "README.md on main already agrees");
  EXPECT_EQ(gitea_.pulls().size(), 1u);
}

TEST_F(ReadmePrTest, NoReadmeNoPr) {
  gitea_.SetFile("main", "README.md", "x");
  ReadmePrRequest r = Request(kMeasured);
  r.base = "trunk";  // the file is not there
  gitea_.SetFile("trunk", "other.md", "y");
  EXPECT_EQ(Deliver(r), "no README.md on trunk");
  EXPECT_EQ(Deliver(Request(kMeasured)), "README.md on main already agrees")
      << "a README without a metadata block is not rewritten";
  EXPECT_TRUE(gitea_.pulls().empty());
}

TEST_F(ReadmePrTest, PayloadsRoundTripAndBadOnesAreRefused) {
  ReadmePrRequest r = Request(kMeasured);
  auto back = ParseReadmePrPayload(ReadmePrPayload(r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->scores, r.scores);
  EXPECT_EQ(back->base, "main");
  EXPECT_FALSE(ParseReadmePrPayload("{\"base\":\"main\"}").ok());
  EXPECT_FALSE(ParseReadmePrPayload("[]").ok());
}

// Through the persistent outbox: two runs' messages coalesce into one; a delivery that pushed
// the branch but could not open the PR (503) is retried and opens exactly one.
TEST_F(ReadmePrTest, TheOutboxCoalescesAndRetriesWithoutASecondPr) {
  testing::TempDir dir;
  testing::FakeClock clock;
  auto store = testing::OpenTestStore(dir.File("cc-ci.db"), &clock);
  ASSERT_NE(store, nullptr);
  Outbox::Options oo;
  oo.dry_run = false;
  oo.clock = &clock;
  oo.deliver_readme = ReadmePrSender(client_.get());
  Outbox outbox(store.get(), client_.get(), oo);
  std::map<std::string, std::string> older = {{"Tests", "3, cc-ci level 7"}};
  ASSERT_TRUE(
      store->EnqueueMessage(Outbox::ReadmeMessage(kRepo, ReadmePrPayload(Request(older)))).ok());
  ASSERT_TRUE(
      store->EnqueueMessage(Outbox::ReadmeMessage(kRepo, ReadmePrPayload(Request(kMeasured))))
          .ok());
  auto msgs = store->RecentMessages(10);
  ASSERT_TRUE(msgs.ok());
  ASSERT_EQ(msgs->size(), 1u) << "the newer replaced the pending older one";

  gitea_.FailNext(1, 503, "POST");  // the PR, after the branch was pushed
  EXPECT_EQ(outbox.DeliverDue(), 1);
  EXPECT_EQ(gitea_.File(kReadmeScoresBranch, "README.md"),
            runner::ReadmeWithScores(readme_, kMeasured));
  EXPECT_TRUE(gitea_.pulls().empty());
  msgs = store->RecentMessages(10);
  EXPECT_EQ((*msgs)[0].state, "pending") << "a 503 is retried";
  clock.Advance(std::chrono::minutes(1));
  outbox.DeliverDue();
  msgs = store->RecentMessages(10);
  EXPECT_EQ((*msgs)[0].state, "delivered") << (*msgs)[0].last_error;
  ASSERT_EQ(gitea_.pulls().size(), 1u);
  EXPECT_EQ(gitea_.pulls()[0].state, "open");
}

}  // namespace
}  // namespace ccci
