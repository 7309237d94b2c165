// Issue 15's "done when": a front node plus two workers, started as the README says ("Workers
// on many test hosts", "Nightly runs and the recipe health board"), finish a nightly pass of
// the watched recipes. Real processes on one PostgreSQL store: `cc-ci serve` with
// runner.concurrency = 0 and schedule.nightly = 00:00 (today's pass is due at start), the
// swagger-checking fake Gitea serving two real recipes of ../shared/recipes, and two
// `cc-ci worker`s running the whole suite through the fake abra, swarm and proxy. Each recipe
// gets one nightly run; each worker runs one; every run finishes at a level; the front node's
// board lists both recipes with their levels and serves a stage log a worker wrote.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "bot/intake/nightly.h"
#include "bot/store/nightly_store.h"
#include "tests/fakes/fake_gitea.h"
#include "tests/fakes/fake_proxy.h"
#include "tests/fakes/recipe_repo.h"
#include "tests/fakes/wait_until.h"
#include "tests/fakes/webhook_client.h"
#include "tests/pg/multi_host.h"

namespace ccci {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::vector<std::string> kRecipes = {"bonfire", "traefik"};

class NightlyPassTest : public testing::MultiHostTest {
 protected:
  void SetUp() override {
    MultiHostTest::SetUp();
    if (!db_.available()) return;
    testing::Sh("mkdir -p '" + dir_.File("home") + "'");
    proxy_ = std::make_unique<testing::FakeProxy>(swarm_);
    // Gitea serves coop-cloud/<recipe>, cloned from <base>/coop-cloud/<recipe>.git: git on the
    // workers' host finds that clone URL in a local dir (insteadOf in their ~/.gitconfig), as
    // if Gitea served it.
    for (const std::string& name : kRecipes) {
      auto repo =
          testing::RecipeRepo::FromShared(name, dir_.File("git/coop-cloud/" + name + ".git"));
      gitea_.SetRepoBranchHead("coop-cloud/" + name, "main", repo.head);
      heads_["coop-cloud/" + name] = repo.head;
    }
    std::ofstream(dir_.File("home/.gitconfig"))
        << "[url \"" << dir_.File("git") << "/\"]\n\tinsteadOf = " << gitea_.base_url() << "/\n";
  }
  void TearDown() override {
    auto v = gitea_.violations();
    EXPECT_TRUE(v.empty()) << v[0];
  }

  // The part of a cc-ci.ini every node has: the shared store and Gitea.
  std::string Ini(const std::string& name, const std::string& rest) {
    return MultiHostTest::Ini(name, "[gitea]\nurl = " + gitea_.base_url() +
                                        "\nrepos = coop-cloud/bonfire, coop-cloud/traefik\n"
                                        "trusted_users = alice\n" +
                                        rest);
  }
  // A test host's worker: one suite at a time on the fake swarm (both workers share it, as
  // workers sharing a server do), reached through the fake proxy.
  // `knob`: the fake abra's behaviour (tests/fakes/bin/abra).
  std::unique_ptr<testing::WorkerProcess> StartWorker(
      const std::string& name, const std::string& knob = "FAKE_ABRA_WAIT_FOR=") {
    std::string config =
        Ini(name, "[runner]\nconcurrency = 1\nworker_name = " + name +
                      "\ndomain = ci.test\napp_url = http://{domain}{health_path}\n"
                      "connect_to = ::127.0.0.1:" +
                      std::to_string(proxy_->port()) +
                      "\nready_timeout = 10s\nscreenshots = false\nallowed_clone_urls = " +
                      dir_.File("git") + "\npass_env = FAKE_*\n");
    return StartWorkerProcess(name, config, {"HOME=" + dir_.File("home"), knob});
  }
  std::vector<ccci::Run> NightlyRuns() {
    RunQuery q;
    q.limit = 100;
    std::vector<ccci::Run> out;
    auto page = store_->ListRuns(q);
    if (!page.ok()) return out;
    for (const ccci::Run& r : page->runs) {
      if (r.trigger == kNightlyTrigger) out.push_back(r);
    }
    return out;
  }
  // The nightly run `worker` holds now, or 0.
  int64_t HeldBy(const std::string& worker) {
    for (const ccci::Run& r : NightlyRuns()) {
      if (r.state == kRunRunning && r.worker == worker) return r.id;
    }
    return 0;
  }

  testing::FakeGitea gitea_{"tok"};
  std::unique_ptr<testing::FakeProxy> proxy_;
  std::map<std::string, std::string> heads_;  // repo -> its main's head
};

TEST_F(NightlyPassTest, AFrontNodeAndTwoWorkersFinishANightlyPassOfTheWatchedRecipes) {
  ASSERT_TRUE(db_.available());
  auto started = std::chrono::steady_clock::now();
  auto front = StartFront(Ini("front", "[runner]\nconcurrency = 0\n[schedule]\nnightly = 00:00\n"),
                          {"CC_CI_WEBHOOK_SECRET=s", "CC_CI_GITEA_TOKEN=tok"});
  // 00:00 UTC has passed: the front node runs today's pass at start.
  ASSERT_TRUE(testing::WaitUntil([&] { return NightlyRuns().size() == kRecipes.size(); },
                                 seconds(20), milliseconds(20)))
      << NightlyRuns().size() << " nightly runs queued";

  // Both workers run one each: w1 (one suite at a time) takes one, and its abra waits until w2
  // has started and taken the other, so w1 cannot finish its first and take both. (Not a
  // SIGSTOP: a worker paused inside a transaction on `runs` would hold up w2's start.)
  std::string go = dir_.File("w1-may-go-on");
  auto w1 = StartWorker("w1", "FAKE_ABRA_WAIT_FOR=" + go);
  int64_t first = 0;
  ASSERT_TRUE(testing::WaitUntil([&] { return (first = HeldBy("w1")) != 0; }, seconds(20),
                                 milliseconds(5)));
  auto w2 = StartWorker("w2");
  bool taken = testing::WaitUntil(
      [&] {
        for (const ccci::Run& r : NightlyRuns()) {
          if (r.id != first && r.worker == "w2") return true;
        }
        return false;
      },
      seconds(20), milliseconds(5));
  std::ofstream(go) << "go\n";
  ASSERT_TRUE(taken) << "w2 never took the other recipe's run";

  std::vector<ccci::Run> runs;
  bool ended = testing::WaitUntil(
      [&] {
        runs = NightlyRuns();
        return std::all_of(runs.begin(), runs.end(), [](const ccci::Run& r) {
          return r.state == kRunFinished || r.state == kRunError || r.state == kRunCancelled;
        });
      },
      seconds(60), milliseconds(50));
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_TRUE(ended) << "not every nightly run ended";
  printf("a nightly pass of %zu recipes on 2 workers in %.1f s\n", runs.size(), took);

  // One pass; each recipe once, at its default branch's head, by one of the two workers.
  std::string pass = Nightly::PassId(RealClock()->NowUnixMillis());
  std::set<std::string> repos, workers;
  for (const ccci::Run& r : runs) {
    SCOPED_TRACE("run " + std::to_string(r.id) + " of " + r.repo);
    repos.insert(r.repo);
    workers.insert(r.worker);
    EXPECT_EQ(r.state, kRunFinished) << r.reason;
    EXPECT_EQ(r.title, "nightly " + pass);
    EXPECT_EQ(r.head_sha, heads_[r.repo]);
    EXPECT_EQ(r.attempts, 1) << "no worker lost it";
    EXPECT_GT(r.level.value_or(0), 0) << "the suite got past install: " << r.reason;
    printf("%s: level %lld on %s\n", r.repo.c_str(), static_cast<long long>(r.level.value_or(-1)),
           r.worker.c_str());
  }
  EXPECT_EQ(repos, (std::set<std::string>{"coop-cloud/bonfire", "coop-cloud/traefik"}));
  EXPECT_EQ(workers, (std::set<std::string>{"w1", "w2"}));
  for (const auto& w : {w1.get(), w2.get()}) {
    EXPECT_EQ(w->Log().find("event=runner.lease_lost"), std::string::npos) << w->Log();
  }

  // The front node's board: this pass, both recipes with the level their run reached.
  rapidjson::Document d;
  std::string api = testing::Get(front->port(), "/api/nightly").body;
  d.Parse(api.c_str());
  ASSERT_FALSE(d.HasParseError()) << api;
  EXPECT_STREQ(d["pass"].GetString(), pass.c_str());
  EXPECT_STREQ(d["schedule"].GetString(), "00:00");
  ASSERT_EQ(d["recipes"].Size(), kRecipes.size()) << api;
  std::string page = testing::Get(front->port(), "/nightly").body;
  for (const auto& recipe : d["recipes"].GetArray()) {
    std::string repo = recipe["repo"].GetString();
    auto run =
        std::find_if(runs.begin(), runs.end(), [&](const ccci::Run& r) { return r.repo == repo; });
    ASSERT_NE(run, runs.end()) << repo;
    EXPECT_EQ(recipe["tonight"]["id"].GetInt64(), run->id) << api;
    EXPECT_EQ(recipe["tonight"]["level"].GetInt64(), run->level.value_or(-1)) << api;
    EXPECT_NE(page.find(">" + repo + "</a>"), std::string::npos) << page;
  }

  // A stage log a worker wrote, served by the front node from the store (no shared files).
  for (const ccci::Run& r : runs) {
    auto log = testing::Get(front->port(), "/runs/" + std::to_string(r.id) + "/logs/install.txt");
    EXPECT_EQ(log.status, 200) << r.repo;
    std::string recipe = r.repo.substr(r.repo.find('/') + 1);
    EXPECT_NE(log.body.find("[cc-ci] testing " + recipe + " at " + heads_[r.repo]),
              std::string::npos)
        << log.body;
    EXPECT_NE(log.body.find("[cc-ci] ready: HTTP 200"), std::string::npos) << log.body;
  }

  // Stopped as an operator stops them; every app the pass deployed was torn down.
  for (const auto& w : {w1.get(), w2.get()}) {
    int status = w->Kill(SIGTERM);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_TRUE(std::filesystem::is_empty(swarm_ + "/pids")) << testing::Sh("ls " + swarm_ + "/pids");
}

}  // namespace
}  // namespace ccci
