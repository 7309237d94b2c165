// Levels 6-8 through the real binary (issue 16): webhooks -> the suite through the scripted
// fake abra and docker -> the level, the stage that stopped the ladder and why; and on the
// default branch the README scores PR on the fake Gitea (swagger-checked): opened once,
// updated, never duplicated across runs, and only reported with gitea.readme_prs = false.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "bot/report/readme_pr.h"
#include "bot/runner/readme_scores.h"
#include "tests/fakes/fake_gitea.h"
#include "tests/fakes/fake_proxy.h"
#include "tests/fakes/recipe_repo.h"
#include "tests/fakes/server_process.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/wait_until.h"
#include "tests/fakes/webhook_client.h"

namespace ccci {
namespace {

// bonfire's README made to say what cc-ci measures (level 8 included).
constexpr const char* kTrueReadme =
    "sed -i -e 's/^\\* \\*\\*Healthcheck\\*\\*:$/* **Healthcheck**: Yes/' "
    "-e 's/^\\* \\*\\*Tests\\*\\*:$/* **Tests**: 3, cc-ci level 8/' README.md";
constexpr const char* kNoAppHealthcheck =
    "sed -i '/^    healthcheck:/,/^      start_period/d' compose.yml";

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

size_t Count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

class RungsEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    swarm_ = dir_.File("swarm");
    testing::Sh("mkdir -p '" + swarm_ + "'");
    proxy_ = std::make_unique<testing::FakeProxy>(swarm_);
  }
  // cc-ci serve with the fakes on PATH and `ini` added to its config.
  void Start(const std::string& ini, std::vector<std::string> env = {}) {
    std::ofstream(dir_.File("cc-ci.ini"))
        << "[runner]\ndomain = ci.test\napp_url = http://{domain}{health_path}\n"
        << "connect_to = ::127.0.0.1:" << proxy_->port() << "\nready_timeout = 10s\n"
        << "screenshots = false\nallowed_clone_urls = " << dir_.path() << "\npass_env = FAKE_*\n"
        << ini;
    std::string path = std::string(CCCI_SOURCE_DIR "/tests/fakes/bin:") + getenv("PATH");
    env.insert(env.end(), {"CC_CI_WEBHOOK_SECRET=test-secret", "PATH=" + path,
                           "FAKE_SWARM_DIR=" + swarm_, "FAKE_APP_BIN=" CCCI_BIN_DIR "/fake_app"});
    server_ = std::make_unique<testing::ServerProcess>(
        CCCI_BIN_DIR "/cc-ci", dir_.File("data"), env,
        std::vector<std::string>{"--config", dir_.File("cc-ci.ini")});
  }
  // Waits until `path` answers a body containing `what` (or gives up after a minute).
  std::string WaitFor(const std::string& path, const std::string& what, size_t times = 1) {
    std::string body;
    testing::WaitUntil(
        [&] {
          body = testing::Get(server_->port(), path).body;
          return Count(body, what) >= times;
        },
        std::chrono::seconds(60), std::chrono::milliseconds(50));
    return body;
  }
  std::string Finished(int64_t run) {
    std::string r;
    testing::WaitUntil(
        [&] {
          r = testing::Get(server_->port(), "/api/runs/" + std::to_string(run)).body;
          return r.find("\"state\":\"finished\"") != std::string::npos ||
                 r.find("\"state\":\"error\"") != std::string::npos;
        },
        std::chrono::seconds(60), std::chrono::milliseconds(50));
    return r;
  }
  // The last line of a stage's log: "[cc-ci] <status>: <reason>".
  std::string Verdict(int64_t run, const std::string& stage) {
    std::string log =
        testing::Get(server_->port(), "/runs/" + std::to_string(run) + "/logs/" + stage + ".txt")
            .body;
    while (!log.empty() && log.back() == '\n') log.pop_back();
    return log.substr(log.rfind('\n') + 1);
  }
  void PullRequest(int pr, const testing::RecipeRepo& repo) {
    std::string body = testing::ReadShared("gitea/payloads/pull_request_opened.json");
    body = ReplaceAll(body, "9b2e7c4d1a0f3e5b6c8d7a9e0f1b2c3d4e5f6a7b", repo.head);
    body = ReplaceAll(body, "https://git.coopcloud.tech/alice/nextcloud.git", repo.dir);
    body = ReplaceAll(body, "\"number\": 17,", "\"number\": " + std::to_string(pr) + ",");
    auto posted = testing::PostWebhook(server_->port(), "pull_request", body,
                                       "pr-" + std::to_string(pr), "test-secret");
    ASSERT_EQ(posted.status, 202) << posted.body;
  }
  // A push of `sha` to main of coop-cloud/bonfire, cloned from `dir`.
  void Push(const std::string& sha, const std::string& dir) {
    std::string body =
        "{\"ref\":\"refs/heads/main\",\"before\":\"0000000000000000000000000000000000000001\","
        "\"after\":\"" +
        sha +
        "\",\"repository\":{\"full_name\":\"coop-cloud/bonfire\","
        "\"default_branch\":\"main\",\"clone_url\":\"" +
        dir +
        "\"},"
        "\"sender\":{\"login\":\"carol\"},\"commits\":[]}";
    auto posted = testing::PostWebhook(server_->port(), "push", body, "push-" + sha, "test-secret");
    ASSERT_EQ(posted.status, 202) << posted.body;
  }
  std::string Commit(const std::string& dir, const std::string& change) {
    std::string g = "git -C '" + dir + "' -c user.name=t -c user.email=t@example.org ";
    testing::Sh("cd '" + dir + "' && " + change + " && " + g + "commit -qam 'main moves on'");
    std::string sha = testing::Sh("git -C '" + dir + "' rev-parse HEAD");
    return sha.substr(0, sha.find('\n'));
  }

  testing::TempDir dir_;
  std::string swarm_;
  std::unique_ptr<testing::FakeProxy> proxy_;
  std::unique_ptr<testing::ServerProcess> server_;
};

TEST_F(RungsEndToEnd, EightForARecipeThatEarnsItAndTheRightRungAndReasonForOthers) {
  Start("[gitea]\ntrusted_users = alice\n");
  auto earns = testing::RecipeRepo::FromShared("bonfire", dir_.File("earns"), kTrueReadme);
  auto goes_back = testing::RecipeRepo::FromShared(
      "bonfire", dir_.File("back"),
      std::string(kTrueReadme) +
          " && sed -i 's/APP_VERSION:-1.0.6/APP_VERSION:-1.0.4/' compose.yml");
  auto unchecked = testing::RecipeRepo::FromShared(
      "bonfire", dir_.File("unchecked"), std::string(kTrueReadme) + " && " + kNoAppHealthcheck);
  auto stale = testing::RecipeRepo::FromShared("bonfire", dir_.File("stale"));
  PullRequest(21, earns);
  std::string run = Finished(1);
  EXPECT_NE(run.find("\"level\":8"), std::string::npos) << run;
  EXPECT_EQ(Verdict(1, "maintained"),
            "[cc-ci] pass: the newest release 2.0.1+1.0.6-social-amd64 "
            "is 0.0 months old; the README's scores are what cc-ci measured");

  PullRequest(22, goes_back);
  run = Finished(2);
  EXPECT_NE(run.find("\"level\":5"), std::string::npos) << run;
  EXPECT_EQ(Verdict(2, "upgrade-safe"),
            "[cc-ci] fail: compose.yml:6: service app's image goes back from "
            "bonfirenetworks/bonfire:1.0.6-social-amd64 (2.0.1+1.0.6-social-amd64) to "
            "bonfirenetworks/bonfire:1.0.4-social-amd64");

  PullRequest(23, unchecked);
  run = Finished(3);
  EXPECT_NE(run.find("\"level\":6"), std::string::npos) << run;
  EXPECT_EQ(Verdict(3, "clean"), "[cc-ci] fail: compose.yml:5: service app has no healthcheck");

  PullRequest(24, stale);
  run = Finished(4);
  EXPECT_NE(run.find("\"level\":7"), std::string::npos) << run;
  EXPECT_EQ(Verdict(4, "maintained"),
            "[cc-ci] fail: README.md:9: Healthcheck says '', cc-ci measured 'Yes' (and 1 more)");
  // The sticky comments (dry-run: in the outbox) show the block as measured where it differs
  // from the README: not on PR 21, whose README is true; on PR 22 and 23, whose README claims
  // the level 8 they do not reach; on PR 24, whose README lacks what cc-ci measured.
  std::string outbox = WaitFor("/api/outbox", "level 7");
  EXPECT_EQ(Count(outbox, "README scores"), 3u) << outbox;
  EXPECT_NE(outbox.find("* **Tests**: 3, cc-ci level 5"), std::string::npos) << outbox;
  EXPECT_NE(outbox.find("* **Tests**: 3, cc-ci level 8"), std::string::npos) << outbox;

  std::string metrics = testing::Get(server_->port(), "/metrics").body;
  for (int level : {5, 6, 7, 8}) {
    EXPECT_NE(
        metrics.find("ccci_runs_finished_total{outcome=\"level_" + std::to_string(level) + "\"} 1"),
        std::string::npos)
        << level << "\n"
        << metrics;
  }
  EXPECT_EQ(testing::Sh("ls '" + swarm_ + "/pids' | wc -l"), "0\n") << "torn down";
}

TEST_F(RungsEndToEnd, TheReadmePrIsOpenedOnceUpdatedAndNeverDuplicated) {
  testing::FakeGitea gitea("tok");
  std::string readme = testing::ReadShared("recipes/bonfire/README.md");
  gitea.SetFile("main", "README.md", readme);
  Start("[gitea]\nurl = " + gitea.base_url() + "\ndry_run = false\n", {"CC_CI_GITEA_TOKEN=tok"});
  auto repo = testing::RecipeRepo::FromShared("bonfire", dir_.File("bonfire"));

  Push(repo.head, repo.dir);
  EXPECT_NE(Finished(1).find("\"level\":7"), std::string::npos);
  WaitFor("/api/outbox", "\"kind\":\"readme\",\"state\":\"delivered\"");
  ASSERT_EQ(gitea.pulls().size(), 1u);
  EXPECT_EQ(gitea.pulls()[0].head, kReadmeScoresBranch);
  std::map<std::string, std::string> measured = {{"Healthcheck", "Yes"},
                                                 {"Tests", "3, cc-ci level 8"}};
  EXPECT_EQ(gitea.File(kReadmeScoresBranch, "README.md"),
            runner::ReadmeWithScores(readme, measured));
  int commits = gitea.Commits(kReadmeScoresBranch);

  // The next push measures the same: the PR stays as it is.
  Push(Commit(repo.dir, "echo more >> .release"), repo.dir);
  EXPECT_NE(Finished(2).find("\"level\":7"), std::string::npos);
  WaitFor("/api/outbox", "\"kind\":\"readme\",\"state\":\"delivered\"", 2);
  EXPECT_EQ(gitea.pulls().size(), 1u);
  EXPECT_EQ(gitea.Commits(kReadmeScoresBranch), commits) << "nothing new to commit";

  // Then the app loses its healthcheck: the same PR, updated.
  Push(Commit(repo.dir, kNoAppHealthcheck), repo.dir);
  EXPECT_NE(Finished(3).find("\"level\":6"), std::string::npos);
  std::string outbox = WaitFor("/api/outbox", "\"kind\":\"readme\",\"state\":\"delivered\"", 3);
  ASSERT_EQ(gitea.pulls().size(), 1u) << outbox;
  EXPECT_EQ(
      gitea.File(kReadmeScoresBranch, "README.md"),
      runner::ReadmeWithScores(readme, {{"Healthcheck", "No"}, {"Tests", "2, cc-ci level 6"}}));
  EXPECT_NE(gitea.pulls()[0].body.find("2, cc-ci level 6"), std::string::npos)
      << gitea.pulls()[0].body;
  EXPECT_EQ(gitea.File("main", "README.md"), readme) << "cc-ci never writes the default branch";
  auto v = gitea.violations();
  EXPECT_TRUE(v.empty()) << v[0];
}

TEST_F(RungsEndToEnd, WithReadmePrsOffTheScoresAreOnlyReported) {
  testing::FakeGitea gitea("tok");
  gitea.SetFile("main", "README.md", testing::ReadShared("recipes/bonfire/README.md"));
  Start("[gitea]\nurl = " + gitea.base_url() + "\ndry_run = false\nreadme_prs = false\n",
        {"CC_CI_GITEA_TOKEN=tok"});
  auto repo = testing::RecipeRepo::FromShared("bonfire", dir_.File("bonfire"));
  Push(repo.head, repo.dir);
  EXPECT_NE(Finished(1).find("\"level\":7"), std::string::npos);
  std::string outbox = WaitFor("/api/outbox", "\"state\":\"delivered\"");
  EXPECT_EQ(outbox.find("\"kind\":\"readme\""), std::string::npos) << outbox;
  EXPECT_TRUE(gitea.pulls().empty());
  for (const std::string& r : gitea.requests())
    EXPECT_EQ(r.rfind("PUT ", 0), std::string::npos) << r;
  EXPECT_EQ(Verdict(1, "maintained"),
            "[cc-ci] fail: README.md:9: Healthcheck says '', cc-ci measured 'Yes' (and 1 more)")
      << "the run still says what differs";
}

}  // namespace
}  // namespace ccci
