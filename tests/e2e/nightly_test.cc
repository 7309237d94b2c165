// Nightly runs on a fake clock (no sleeps): the pass fires once a day at schedule.nightly,
// never twice (restarts, a second node on the same store), makes up today's pass after a
// start past HH:MM but no earlier night, retries recipes Gitea could not tell, and is off
// without a time. Regression issues go through the real outbox and GiteaClient to the fake
// Gitea, which checks every request against Gitea's swagger.v1.json. The /nightly board and
// /api/nightly over a real server: levels, trends, links, and hostile repo names escaped.
#include "bot/intake/nightly.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <ctime>
#include <fstream>

#include "bot/forge/gitea_client.h"
#include "bot/forge/outbox.h"
#include "bot/http/metrics.h"
#include "bot/http/server.h"
#include "bot/report/regression_issue.h"
#include "bot/report/reporter.h"
#include "bot/store/memory_store.h"
#include "renderer/pages.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_gitea.h"
#include "tests/fakes/fake_gitea_client.h"
#include "tests/fakes/server_process.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/wait_until.h"
#include "tests/fakes/webhook_client.h"

namespace ccci {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr const char* kSha = "5d4c3b2a19087f6e5d4c3b2a19087f6e5d4c3b2a";  // the fake's main

// 2026-12-02 at hh:mm:ss UTC.
std::chrono::system_clock::time_point At(int hh, int mm, int ss = 0) {
  struct tm tm {};
  tm.tm_year = 2026 - 1900;
  tm.tm_mon = 11;
  tm.tm_mday = 2;
  tm.tm_hour = hh;
  tm.tm_min = mm;
  tm.tm_sec = ss;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

class NightlyTest : public ::testing::Test {
 protected:
  NightlyTest() : clock_(At(1, 0)), gitea_("tok"), client_(testing::ClientOf(gitea_)) {
    store_ = std::move(OpenMemoryStore(&clock_).value());
  }
  void TearDown() override {
    auto v = gitea_.violations();
    EXPECT_TRUE(v.empty()) << v[0];
  }
  Nightly::Options Opts(const std::string& node = "n1", int minute = 150) {
    Nightly::Options o;
    o.minute = minute;  // 02:30
    o.repos = {"coop-cloud/bonfire", "coop-cloud/nextcloud"};
    o.node = node;
    o.clock = &clock_;
    o.on_queued = [this] { ++wakes_; };
    return o;
  }
  std::vector<ccci::Run> NightlyRuns() {
    RunQuery q;
    q.limit = 500;
    std::vector<ccci::Run> out;
    RunPage page = store_->ListRuns(q).value();
    for (const ccci::Run& r : page.runs) {
      if (r.trigger == kNightlyTrigger) out.push_back(r);
    }
    return out;
  }
  void Advance(std::chrono::milliseconds d) { clock_.Advance(d); }

  testing::FakeClock clock_;
  testing::FakeGitea gitea_;
  std::unique_ptr<GiteaClient> client_;
  std::unique_ptr<SqlStore> store_;
  int wakes_ = 0;
};

TEST_F(NightlyTest, FiresOnceADayAtTheTimeGiven) {
  Nightly nightly(store_.get(), store_.get(), client_.get(), Opts());
  EXPECT_EQ(nightly.Tick().pass_id, "") << "01:00: not yet";
  Advance(minutes(89) + seconds(59));  // 02:29:59
  EXPECT_FALSE(nightly.Tick().ran);
  EXPECT_TRUE(NightlyRuns().empty());
  Advance(seconds(1));  // 02:30:00
  Nightly::Pass pass = nightly.Tick();
  EXPECT_TRUE(pass.ran);
  EXPECT_EQ(pass.pass_id, "2026-12-02");
  EXPECT_EQ(pass.queued, 2);
  EXPECT_EQ(pass.errors, 0);
  EXPECT_EQ(wakes_, 1) << "the scheduler is woken for the new runs";
  auto runs = NightlyRuns();
  ASSERT_EQ(runs.size(), 2u);
  for (const ccci::Run& r : runs) {
    EXPECT_EQ(r.pr, 0);
    EXPECT_EQ(r.head_sha, kSha) << "the default branch's head as Gitea says it";
    EXPECT_EQ(r.head_ref, "main");
    EXPECT_EQ(r.state, kRunQueued);
    EXPECT_EQ(r.title, "nightly 2026-12-02");
    EXPECT_EQ(r.clone_url, gitea_.base_url() + "/" + r.repo + ".git");
  }
  // Every later tick that day does nothing.
  for (int i = 0; i < 40; ++i) {
    Advance(minutes(30));
    if (Nightly::PassId(clock_.NowUnixMillis()) != "2026-12-02") break;
    EXPECT_FALSE(nightly.Tick().ran);
  }
  EXPECT_EQ(NightlyRuns().size(), 2u);
  // The next day at 02:30, once more; a new head is tested.
  gitea_.SetBranchHead("main", std::string(40, 'e'));
  while (Nightly::PassId(clock_.NowUnixMillis()) == "2026-12-02" ||
         nightly.Tick().pass_id.empty()) {
    EXPECT_TRUE(NightlyRuns().size() == 2u);
    Advance(minutes(1));
  }
  EXPECT_EQ(Nightly::PassId(clock_.NowUnixMillis()), "2026-12-03");
  EXPECT_EQ(clock_.NowUnixMillis() % 86400000, 150 * 60000) << "at 02:30 sharp";
  auto both = NightlyRuns();
  ASSERT_EQ(both.size(), 4u);
  EXPECT_EQ(both[0].head_sha, std::string(40, 'e'));
  EXPECT_EQ(both[0].title, "nightly 2026-12-03");
}

TEST_F(NightlyTest, ARestartOrASecondNodeNeverRunsTheNightTwice) {
  Advance(hours(2));  // 03:00
  {
    Nightly first(store_.get(), store_.get(), client_.get(), Opts("n1"));
    EXPECT_EQ(first.Tick().queued, 2);
  }
  // cc-ci restarts (a new node id) the same day; another front node shares the store.
  Nightly restarted(store_.get(), store_.get(), client_.get(), Opts("n1-restarted"));
  Nightly other(store_.get(), store_.get(), client_.get(), Opts("n2"));
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(restarted.Tick().ran);
    EXPECT_FALSE(other.Tick().ran);
    Advance(minutes(30));
  }
  EXPECT_EQ(NightlyRuns().size(), 2u);
}

TEST_F(NightlyTest, AStartAfterTheTimeRunsTodaysPassButNoEarlierNight) {
  // Down since before yesterday's 02:30; back at 09:00 today.
  Advance(hours(8));
  Nightly nightly(store_.get(), store_.get(), client_.get(), Opts());
  Nightly::Pass pass = nightly.Tick();
  EXPECT_EQ(pass.pass_id, "2026-12-02");
  EXPECT_EQ(pass.queued, 2);
  auto board = store_->NightlyBoard(10).value();
  EXPECT_EQ(board.pass_id, "2026-12-02");
  EXPECT_EQ(board.previous_pass_id, "") << "yesterday is not made up";
}

TEST_F(NightlyTest, OffWithoutATime) {
  Nightly nightly(store_.get(), store_.get(), client_.get(), Opts("n1", -1));
  for (int i = 0; i < 48; ++i) {
    EXPECT_EQ(nightly.Tick().pass_id, "");
    Advance(minutes(30));
  }
  EXPECT_TRUE(NightlyRuns().empty());
  EXPECT_TRUE(gitea_.requests().empty()) << "not even asked";
}

TEST_F(NightlyTest, RecipesGiteaCouldNotTellAreTriedAgainLaterThatDay) {
  Advance(minutes(90));  // 02:30
  Nightly::Options o = Opts();
  o.retry_ms = 5 * 60 * 1000;
  Nightly nightly(store_.get(), store_.get(), client_.get(), o);
  gitea_.FailNext(1, 503);  // the first recipe's repo lookup
  Nightly::Pass pass = nightly.Tick();
  EXPECT_EQ(pass.queued, 1);
  EXPECT_EQ(pass.errors, 1);
  Advance(minutes(4));
  EXPECT_FALSE(nightly.Tick().ran) << "waits retry_ms";
  Advance(minutes(1));
  pass = nightly.Tick();
  EXPECT_TRUE(pass.ran);
  EXPECT_EQ(pass.queued, 1);
  EXPECT_EQ(pass.already, 1) << "the recipe queued before is not asked for again";
  EXPECT_EQ(pass.errors, 0);
  EXPECT_EQ(NightlyRuns().size(), 2u);
  Advance(minutes(10));
  EXPECT_FALSE(nightly.Tick().ran) << "finished";
}

TEST_F(NightlyTest, ARecipeOfThePreviousPassStaysInPastTheNewest500Runs) {
  // Yesterday's pass tested coop-cloud/old; since then 500 runs of other recipes came.
  ASSERT_TRUE(store_->ClaimNightlyPass("2026-12-01", "n0", 1).value());
  RunRequest old{"coop-cloud/old", 0,       kSha,           "main", "main", "",
                 "nightly",        "cc-ci", kNightlyTrigger};
  ASSERT_TRUE(store_->QueueNightlyRun("2026-12-01", old).ok());
  for (int pr = 1; pr <= 500; ++pr) {
    Delivery d;
    d.id = "pr-" + std::to_string(pr);
    Work w;
    w.kind = Work::Kind::kQueueRun;
    w.run = RunRequest{"coop-cloud/bonfire", pr, kSha, "b", "main", "", "t", "alice", "opened"};
    ASSERT_TRUE(store_->RecordDelivery(d, w).ok());
  }
  Advance(minutes(90));
  Nightly::Options o = Opts();
  o.repos = {};
  Nightly nightly(store_.get(), store_.get(), client_.get(), o);
  EXPECT_EQ(nightly.Tick().queued, 2) << "bonfire (seen in runs) and old (last pass)";
  EXPECT_TRUE(store_->HasNightlyRun("2026-12-02", "coop-cloud/old").value());
}

// A repo whose default branch is gone (404) or that is archived: left out, and the pass
// finishes instead of asking again all day.
TEST_F(NightlyTest, AGoneOrArchivedRecipeIsLeftOutWithoutHoldingThePassOpen) {
  for (bool archived : {false, true}) {
    SCOPED_TRACE(archived ? "archived" : "gone");
    if (archived) {
      gitea_.SetDefaultBranch("main");
      gitea_.SetArchived(true);
      Advance(hours(24));  // the next night
    } else {
      gitea_.SetDefaultBranch("gone");
      Advance(minutes(90));
    }
    Nightly nightly(store_.get(), store_.get(), client_.get(), Opts());
    Nightly::Pass pass = nightly.Tick();
    EXPECT_TRUE(pass.ran);
    EXPECT_EQ(pass.queued, 0);
    EXPECT_EQ(pass.errors, 0);
    Advance(minutes(30));
    EXPECT_FALSE(nightly.Tick().ran) << "the pass finished";
  }
  EXPECT_TRUE(NightlyRuns().empty());
}

// The regression issue, end to end: nightly runs end, the reporter queues messages, the
// outbox delivers them through GiteaClient to the fake Gitea.
class RegressionTest : public NightlyTest {
 protected:
  RegressionTest() {
    Outbox::Options oo;
    oo.dry_run = false;
    oo.clock = &clock_;
    oo.deliver_regression = RegressionSender(store_.get(), client_.get(), client_.get(), "cc-ci");
    outbox_ = std::make_unique<Outbox>(store_.get(), client_.get(), oo);
    Reporter::Options ro;
    ro.public_url = "https://ci.example";
    ro.nightly = store_.get();
    reporter_ = std::make_unique<Reporter>(store_.get(), store_.get(), outbox_.get(), ro);
  }
  // Tonight's nightly of bonfire ends at `level`, failing at `failed` (if any); reported and
  // delivered. Returns the run id.
  int64_t Night(int64_t level, const std::string& failed = "") {
    std::string pass = Nightly::PassId(clock_.NowUnixMillis());
    RunRequest req{kRepo, 0, kSha, "main", "main", "", "nightly " + pass, "cc-ci", kNightlyTrigger};
    auto q = store_->QueueNightlyRun(pass, req);
    EXPECT_TRUE(q.ok() && q->queued);
    int64_t id = q->run_id;
    EXPECT_TRUE(store_->ClaimRun(id).value());
    int64_t t = clock_.NowUnixMillis();
    EXPECT_TRUE(store_->RecordStage({id, 0, "install", kStagePass, "", 0, t, 10, ""}).ok());
    if (!failed.empty()) {
      EXPECT_TRUE(store_->RecordStage({id, 1, "upgrade", kStageSkip, "", 0, t, 0, ""}).ok());
      EXPECT_TRUE(store_->RecordStage({id, 2, failed, kStageFail, "", 1, t, 10, ""}).ok());
    }
    EXPECT_TRUE(store_->FinishRun(id, kRunFinished, level, "").ok());
    reporter_->ReportPending();
    outbox_->DeliverDue();
    Advance(hours(24));
    return id;
  }
  std::vector<std::string> IssueComments(int64_t issue) {
    std::vector<std::string> out;
    for (const auto& c : gitea_.comments()) {
      if (c.issue == issue) out.push_back(c.body);
    }
    return out;
  }

  static constexpr const char* kRepo = "coop-cloud/bonfire";
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<Reporter> reporter_;
};

TEST_F(RegressionTest, ADropOpensOneIssueLaterDropsUpdateItRecoveryClosesIt) {
  Night(5);
  Night(5);
  EXPECT_TRUE(gitea_.issues().empty()) << "no drop, no issue";
  int64_t dropped = Night(3, "backup");
  ASSERT_EQ(gitea_.issues().size(), 1u);
  testing::FakeGitea::Issue issue = gitea_.issues()[0];
  EXPECT_EQ(issue.title, "cc-ci nightly: level dropped from 5 to 3");
  EXPECT_EQ(issue.state, "open");
  EXPECT_NE(issue.body.find("**level 3**; it was level 5"), std::string::npos) << issue.body;
  EXPECT_NE(issue.body.find("Failing stage: `backup`"), std::string::npos) << issue.body;
  EXPECT_NE(issue.body.find("https://ci.example/runs/" + std::to_string(dropped)),
            std::string::npos)
      << issue.body;
  EXPECT_NE(issue.body.find("2026-12-04"), std::string::npos) << "the night: " << issue.body;
  auto open = store_->GetRegressionIssue(kRepo).value();
  ASSERT_TRUE(open);
  EXPECT_EQ(open->issue, issue.number);

  Night(3, "backup");  // the same level: nothing new
  EXPECT_TRUE(IssueComments(issue.number).empty());

  int64_t lower = Night(2, "upgrade");
  ASSERT_EQ(gitea_.issues().size(), 1u) << "updated, not a second issue";
  issue = gitea_.issues()[0];
  EXPECT_EQ(issue.title, "cc-ci nightly: level dropped from 5 to 2");
  EXPECT_NE(issue.body.find("Failing stage: `upgrade`"), std::string::npos);
  auto comments = IssueComments(issue.number);
  ASSERT_EQ(comments.size(), 1u);
  EXPECT_NE(comments[0].find("reached level 2"), std::string::npos) << comments[0];
  EXPECT_NE(comments[0].find("/runs/" + std::to_string(lower)), std::string::npos);

  Night(4, "lint");  // up, but not back to 5: still open
  EXPECT_EQ(gitea_.issues()[0].state, "open");
  EXPECT_EQ(gitea_.issues()[0].title, "cc-ci nightly: level dropped from 5 to 4");

  Night(5);
  EXPECT_EQ(gitea_.issues()[0].state, "closed");
  comments = IssueComments(issue.number);
  ASSERT_EQ(comments.size(), 3u);
  EXPECT_NE(comments.back().find("back at level 5"), std::string::npos) << comments.back();
  EXPECT_FALSE(store_->GetRegressionIssue(kRepo).value());

  Night(4, "lint");  // a new drop after recovery: a new issue
  ASSERT_EQ(gitea_.issues().size(), 2u);
  EXPECT_EQ(gitea_.issues()[1].title, "cc-ci nightly: level dropped from 5 to 4");
  EXPECT_NE(gitea_.issues()[1].number, issue.number);
}

TEST_F(RegressionTest, GiteaDownForAnHourDelaysTheIssueAndOpensItOnce) {
  Night(6);
  gitea_.FailNext(1000, 503);
  Night(1, "install");  // reported; the outbox cannot deliver
  EXPECT_TRUE(gitea_.issues().empty());
  for (int i = 0; i < 12; ++i) {  // an hour of retries, every 5 minutes at most
    Advance(minutes(5));
    outbox_->DeliverDue();
  }
  EXPECT_TRUE(gitea_.issues().empty());
  gitea_.FailNext(0, 0);
  Advance(minutes(5));
  outbox_->DeliverDue();
  ASSERT_EQ(gitea_.issues().size(), 1u);
  EXPECT_EQ(gitea_.issues()[0].title, "cc-ci nightly: level dropped from 6 to 1");
  Advance(minutes(5));
  outbox_->DeliverDue();
  EXPECT_EQ(gitea_.issues().size(), 1u);
}

// Gitea opened the issue but its answer was lost (a proxy's 504 here; a timeout or a crash
// before the store recorded the number are the same to the retry): the retry finds the
// bot's open issue by its marker and adopts it instead of opening a second.
TEST_F(RegressionTest, AnIssueWhoseAnswerWasLostIsAdoptedNotOpenedTwice) {
  Night(6);
  gitea_.LoseNextAnswer(1, "POST", "/coop-cloud/bonfire/issues");
  int64_t dropped = Night(2, "install");
  ASSERT_EQ(gitea_.issues().size(), 1u) << "Gitea opened it";
  EXPECT_FALSE(store_->GetRegressionIssue(kRepo).value()) << "cc-ci never heard its number";
  outbox_->DeliverDue();  // the retry
  ASSERT_EQ(gitea_.issues().size(), 1u) << "adopted, not opened again";
  auto open = store_->GetRegressionIssue(kRepo).value();
  ASSERT_TRUE(open);
  EXPECT_EQ(open->issue, gitea_.issues()[0].number);
  EXPECT_EQ(open->baseline_level, 6);
  EXPECT_EQ(open->run_id, dropped);
  EXPECT_EQ(gitea_.issues()[0].title, "cc-ci nightly: level dropped from 6 to 2");
  Night(6);
  EXPECT_EQ(gitea_.issues()[0].state, "closed") << "the adopted issue is the one closed";
  EXPECT_EQ(gitea_.issues().size(), 1u);
}

// Only the bot's own open issue with the marker is adopted: not someone else's copy of it,
// not another issue of the bot's.
TEST_F(RegressionTest, OnlyTheBotsOwnMarkedIssueIsAdopted) {
  std::string copied = std::string("as cc-ci wrote it ") + kRegressionMarker;
  gitea_.AddIssue("mallory", "cc-ci nightly: level dropped from 6 to 2", copied);
  gitea_.AddIssue("cc-ci", "cc-ci nightly: level dropped from 6 to 2", "no marker");
  Night(6);
  Night(2, "install");
  ASSERT_EQ(gitea_.issues().size(), 3u) << "a new one";
  testing::FakeGitea::Issue opened = gitea_.issues()[2];
  EXPECT_EQ(opened.author, "cc-ci");
  EXPECT_NE(opened.body.find(kRegressionMarker), std::string::npos) << opened.body;
  EXPECT_EQ(store_->GetRegressionIssue(kRepo).value()->issue, opened.number);
  EXPECT_EQ(gitea_.issues()[0].body, copied) << "left alone";
}

TEST_F(RegressionTest, ARunNotFromTheNightOrWithoutAPreviousNightOpensNothing) {
  Night(4);
  // A push's run at a lower level is not a nightly.
  RunRequest push{kRepo, 0, std::string(40, 'c'), "main", "main", "", "push", "alice", "push"};
  Delivery d;
  d.id = "push-1";
  Work w;
  w.kind = Work::Kind::kQueueRun;
  w.run = push;
  int64_t id = store_->RecordDelivery(d, w).value().run_id;
  ASSERT_TRUE(store_->ClaimRun(id).value());
  ASSERT_TRUE(store_->FinishRun(id, kRunFinished, 1, "").ok());
  reporter_->ReportPending();
  outbox_->DeliverDue();
  EXPECT_TRUE(gitea_.issues().empty());
  auto msgs = store_->RecentMessages(100).value();
  for (const auto& m : msgs) EXPECT_NE(m.kind, "regression");
}

// The board over a real server, with a recipe whose name is hostile.
TEST_F(NightlyTest, TheBoardShowsLevelsTrendsAndLinksAndEscapesNames) {
  const std::string evil = "o/<script>alert(1)</script>";
  auto night = [&](const std::string& pass, const std::string& repo, std::optional<int64_t> lvl) {
    ASSERT_TRUE(store_->ClaimNightlyPass(pass, "n", 1).ok());
    RunRequest req{repo, 0, kSha, "main", "main", "", "nightly", "cc-ci", kNightlyTrigger};
    int64_t id = store_->QueueNightlyRun(pass, req).value().run_id;
    if (!lvl) return;  // still queued
    ASSERT_TRUE(store_->ClaimRun(id).value());
    ASSERT_TRUE(store_->FinishRun(id, kRunFinished, lvl, "").ok());
  };
  night("2026-12-01", "o/down", 5);
  night("2026-12-02", "o/down", 3);
  night("2026-12-01", "o/up", 2);
  night("2026-12-02", "o/up", 4);
  night("2026-12-01", "o/same", 6);
  night("2026-12-02", "o/same", 6);
  night("2026-12-02", "o/new", 1);
  night("2026-12-01", "o/queued", 1);
  night("2026-12-02", "o/queued", std::nullopt);
  night("2026-12-02", evil, 2);

  Metrics metrics;
  HttpServerOptions o;
  o.listen = "127.0.0.1:0";
  HttpServices services{nullptr, store_.get(), &metrics,    "test", "http://ci.example",
                        nullptr, "",           store_.get()};
  services.nightly = store_.get();
  services.nightly_schedule = "02:30";
  HttpServer server(o, services);
  ASSERT_TRUE(server.Start().ok());
  auto page = testing::Get(server.port(), "/nightly");
  EXPECT_EQ(page.status, 200);
  const std::string& html = page.body;
  EXPECT_EQ(html.find("<script>"), std::string::npos) << "a repo name never becomes markup";
  EXPECT_NE(html.find("o/&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("/recipes/o/%3Cscript%3Ealert%281%29%3C/script%3E"), std::string::npos);
  EXPECT_NE(html.find("at 02:30 UTC"), std::string::npos);
  EXPECT_NE(html.find("Newest pass: 2026-12-02"), std::string::npos);
  auto row = [&](const std::string& repo) {
    size_t at = html.find(">" + repo + "</a>");
    EXPECT_NE(at, std::string::npos) << repo;
    size_t begin = html.rfind("<tr", at);
    return html.substr(begin, html.find("</tr>", at) - begin);
  };
  EXPECT_NE(row("o/down").find("trend-down"), std::string::npos) << row("o/down");
  EXPECT_NE(row("o/down").find("alt=\"level 3\""), std::string::npos) << row("o/down");
  EXPECT_NE(row("o/down").find(">level 5</a>"), std::string::npos) << row("o/down");
  EXPECT_NE(row("o/up").find("trend-up"), std::string::npos);
  EXPECT_NE(row("o/same").find("trend-same"), std::string::npos);
  EXPECT_NE(row("o/new").find("trend-new"), std::string::npos);
  EXPECT_NE(row("o/new").find(">none<"), std::string::npos);
  EXPECT_NE(row("o/queued").find("trend-unknown"), std::string::npos);
  EXPECT_NE(row("o/queued").find("alt=\"queued\""), std::string::npos);
  EXPECT_NE(row("o/down").find("href=\"/runs/"), std::string::npos);

  auto api = testing::Get(server.port(), "/api/nightly");
  EXPECT_EQ(api.status, 200);
  rapidjson::Document d;
  d.Parse(api.body.c_str());
  ASSERT_FALSE(d.HasParseError()) << api.body;
  EXPECT_STREQ(d["pass"].GetString(), "2026-12-02");
  EXPECT_STREQ(d["previous_pass"].GetString(), "2026-12-01");
  EXPECT_STREQ(d["schedule"].GetString(), "02:30");
  ASSERT_EQ(d["recipes"].Size(), 6u);
  // By repo, as the store sorts them ('<' before letters).
  EXPECT_STREQ(d["recipes"][0]["repo"].GetString(), evil.c_str()) << "JSON keeps the name as is";
  const auto& down = d["recipes"][1];
  EXPECT_STREQ(down["repo"].GetString(), "o/down");
  EXPECT_STREQ(down["trend"].GetString(), "down");
  EXPECT_EQ(down["tonight"]["level"].GetInt(), 3);
  EXPECT_EQ(down["previous"]["level"].GetInt(), 5);
  EXPECT_STREQ(d["recipes"][2]["repo"].GetString(), "o/new");
  EXPECT_TRUE(d["recipes"][2]["previous"].IsNull());
  EXPECT_STREQ(d["recipes"][2]["trend"].GetString(), "new");
  server.Stop(1000);
}

// `cc-ci serve` as an operator starts it: with schedule.nightly = 00:00 today's pass is due at
// once, so the server runs it at start; the board and the API show it.
TEST(NightlyServeTest, AServerPastItsNightlyTimeRunsTodaysPassAtStart) {
  testing::FakeGitea gitea("tok");
  testing::TempDir dir;
  std::string ini = dir.File("cc-ci.ini");
  std::ofstream(ini) << "[gitea]\nurl = " << gitea.base_url()
                     << "\nrepos = coop-cloud/bonfire\n[schedule]\nnightly = 00:00\n";
  testing::ServerProcess server(
      CCCI_BIN_DIR "/cc-ci", dir.File("data"),
      {"CC_CI_WEBHOOK_SECRET=s", "CC_CI_GITEA_TOKEN=tok", "PATH=/usr/local/bin:/usr/bin:/bin"},
      {"--config", ini});
  rapidjson::Document d;
  bool shown = testing::WaitUntil(
      [&] {
        auto api = testing::Get(server.port(), "/api/nightly");
        d.Parse(api.body.c_str());
        return api.status == 200 && !d.HasParseError() && d["recipes"].Size() == 1;
      },
      std::chrono::seconds(20));
  ASSERT_TRUE(shown) << testing::Get(server.port(), "/api/nightly").body;
  EXPECT_STREQ(d["schedule"].GetString(), "00:00");
  EXPECT_STREQ(d["pass"].GetString(), Nightly::PassId(RealClock()->NowUnixMillis()).c_str());
  const auto& tonight = d["recipes"][0]["tonight"];
  EXPECT_STREQ(tonight["trigger"].GetString(), "nightly");
  EXPECT_STREQ(tonight["head_sha"].GetString(), kSha);
  auto page = testing::Get(server.port(), "/nightly");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find(">coop-cloud/bonfire</a>"), std::string::npos) << page.body;
  auto reqs = gitea.requests();
  EXPECT_NE(
      std::find(reqs.begin(), reqs.end(), "GET /api/v1/repos/coop-cloud/bonfire/branches/main"),
      reqs.end());
  auto v = gitea.violations();
  EXPECT_TRUE(v.empty()) << v[0];
}

TEST(NightlyTrendTest, ComparesOnlyTwoLevels) {
  auto run = [](const char* state, std::optional<int> level) {
    render::RunView v;
    v.state = state;
    v.level = level;
    return std::optional<render::RunView>(v);
  };
  EXPECT_EQ(render::NightlyTrend(run("finished", 3), run("finished", 5)), "down");
  EXPECT_EQ(render::NightlyTrend(run("finished", 5), run("finished", 3)), "up");
  EXPECT_EQ(render::NightlyTrend(run("finished", 0), run("finished", 0)), "same");
  EXPECT_EQ(render::NightlyTrend(run("finished", 3), std::nullopt), "new");
  EXPECT_EQ(render::NightlyTrend(run("error", std::nullopt), run("finished", 3)), "unknown");
  EXPECT_EQ(render::NightlyTrend(run("running", std::nullopt), run("finished", 3)), "unknown");
  EXPECT_EQ(render::NightlyTrend(std::nullopt, run("finished", 3)), "unknown");
}

}  // namespace
}  // namespace ccci
