// The dashboard served by the real server, checked over HTTP and in real headless Chromium,
// including script injection through a PR title, a stage reason and a log line.

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <thread>

#include "bot/http/metrics.h"
#include "bot/http/server.h"
#include "bot/intake/intake.h"
#include "bot/store/sql_store.h"
#include "domain/level.h"
#include "renderer/badge.h"
#include "renderer/card.h"
#include "renderer/png_writer.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/test_store.h"
#include "tests/fakes/wait_until.h"
#include "tests/fakes/webhook_client.h"

namespace ccci {
namespace {

using testing::Get;
using testing::ReadShared;

constexpr const char* kSecret = "test-secret";
constexpr const char* kEvilLog =
    "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">";
constexpr const char* kEvilReason = "<img src=x onerror=\"document.title='pwned'\">";
constexpr const char* kEvilTitle =
    "<script>document.title='pwned'</script><img src=x onerror=\\\"document.title='pwned'\\\">";

std::string RunCommand(const std::string& cmd) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p.get())) > 0) out.append(buf, n);
  return out;
}

// A one-shot chromium with a profile (and TMPDIR, where it makes its singleton dir) of its
// own, removed after it exits.
std::string Chromium(const std::string& args) {
  return RunCommand(
      "p=$(mktemp -d) && TMPDIR=$p timeout 60 chromium --headless --no-sandbox --disable-gpu "
      "--disable-background-networking --disable-component-update --disable-sync --disable-quic "
      "--no-first-run --user-data-dir=$p/profile " +
      args + " 2>/dev/null; rm -rf \"$p\"");
}

class DashboardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SqlStore::Options so;
    so.path = dir_.File("cc-ci.db");
    store_ = std::move(SqlStore::Open(so).value());
    intake_ = std::make_unique<Intake>(store_.get(),
                                       Intake::Options{{kSecret}, "cc-ci", RealClock(), {}});
    HttpServerOptions o;
    o.listen = "127.0.0.1:0";
    server_ = std::make_unique<HttpServer>(
        o, HttpServices{intake_.get(), store_.get(), &metrics_, "test", "http://ci.example",
                        nullptr, dir_.path(), store_.get(), "https://git.example"});
    ASSERT_TRUE(server_->Start().ok());
    port_ = server_->port();
    std::string body = ReadShared("gitea/payloads/pull_request_opened.json");
    body.replace(body.find("\"Bump Nextcloud to 30.0.4\""), 26,
                 std::string("\"") + kEvilTitle + "\"");
    ASSERT_EQ(testing::PostWebhook(port_, "pull_request", body, "x1", kSecret).status, 202);
  }
  void TearDown() override { server_->Stop(1000); }
  std::string Url(const std::string& path) {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  // Run 1 as the runner leaves it mid-way: install passed, upgrade skipped, backup running.
  void RecordStages() {
    ASSERT_TRUE(store_->ClaimRun(1).value());
    mkdir(dir_.File("runs").c_str(), 0755);
    mkdir(dir_.File("runs/1").c_str(), 0755);
    auto log = [&](const std::string& stage, const std::string& text) {
      std::ofstream(dir_.File("runs/1/" + stage + ".log"), std::ios::binary) << text;
    };
    log("install", std::string("\x1b[31mwarning\x1b[0m ") + kEvilLog + "\nready\n");
    log("backup", "backing up\n\x1b[32mprogress 10%\rprogress 42%");
    int64_t t = RealClock()->NowUnixMillis() - 100000;
    auto record = [&](StageRecord r) { ASSERT_TRUE(store_->RecordStage(r).ok()); };
    record({1, 0, "install", kStagePass, "", 0, t, 4200, "runs/1/install.log"});
    record({1, 1, "upgrade", kStageSkip, kEvilReason, std::nullopt, t + 4300, 0, ""});
    record({1, 2, "backup", kStageRunning, "", std::nullopt, t + 4400, 0, "runs/1/backup.log"});
  }

  testing::TempDir dir_;
  std::unique_ptr<SqlStore> store_;
  std::unique_ptr<Intake> intake_;
  Metrics metrics_;
  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
};

TEST_F(DashboardTest, PagesRenderAndEscapeEverything) {
  for (const char* path :
       {"/", "/runs/1", "/recipes/coop-cloud/nextcloud", "/badges/coop-cloud/nextcloud"}) {
    auto page = Get(port_, path);
    EXPECT_EQ(page.status, 200) << path;
    EXPECT_EQ(page.body.find("<script>"), std::string::npos) << path;
    EXPECT_EQ(page.body.find("<img src=x"), std::string::npos) << path;
  }
  auto list = Get(port_, "/");
  EXPECT_NE(list.body.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(list.body.find("coop-cloud/nextcloud"), std::string::npos);
  EXPECT_NE(Get(port_, "/badges/coop-cloud/nextcloud")
                .body.find("http://ci.example/badge/coop-cloud/nextcloud/pulls/17.svg"),
            std::string::npos);
  // The run page links the PR and the commit on Gitea (gitea.url).
  std::string run = Get(port_, "/runs/1").body;
  EXPECT_NE(run.find("<a href=\"https://git.example/coop-cloud/nextcloud/pulls/17\">PR #17</a>"),
            std::string::npos)
      << run;
  EXPECT_NE(run.find("https://git.example/coop-cloud/nextcloud/commit/9b2e7c4"), std::string::npos);
  EXPECT_EQ(Get(port_, "/runs/42").status, 404);
  EXPECT_EQ(Get(port_, "/recipes/not-a-repo").status, 404);
  auto css = Get(port_, "/assets/style.css");
  EXPECT_EQ(css.status, 200);
  EXPECT_NE(css.body.find("--accent"), std::string::npos);
}

TEST_F(DashboardTest, RealChromiumShowsTheRunAndRunsNoInjectedScript) {
  std::string dom = Chromium("--dump-dom " + Url("/runs/1"));
  ASSERT_NE(dom.find("Run #1"), std::string::npos) << dom.substr(0, 500);
  // The title is shown as text; no element came out of it and no script ran.
  EXPECT_NE(dom.find("&lt;script&gt;document.title='pwned'&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(dom.find("<title>pwned"), std::string::npos);
  EXPECT_EQ(dom.find("<img src=\"x\""), std::string::npos);
  testing::TempDir shots;
  std::string png = shots.File("list.png");
  Chromium("--window-size=1280,800 --screenshot=" + png + " " + Url("/"));
  std::string bytes = testing::ReadFileOrDie(png);
  EXPECT_EQ(bytes.substr(1, 3), "PNG");
  EXPECT_GT(bytes.size(), 5000u);
}

TEST_F(DashboardTest, RealChromiumShowsStagesAndLevelAndRunsNoInjectedScript) {
  RecordStages();
  std::string dom = Chromium("--dump-dom " + Url("/runs/1"));
  ASSERT_NE(dom.find("<table class=\"stages\">"), std::string::npos) << dom.substr(0, 2000);
  EXPECT_NE(dom.find("<td class=\"stage-name\">install</td>"), std::string::npos);
  EXPECT_NE(dom.find("<td class=\"stage-name\">backup</td>"), std::string::npos);
  EXPECT_NE(dom.find("href=\"/runs/1/logs/install\""), std::string::npos);
  EXPECT_NE(dom.find("<strong>backup</strong>"), std::string::npos) << "the current stage is named";
  EXPECT_NE(dom.find("<li class=\"rung status-pass counted\">"), std::string::npos);
  EXPECT_NE(dom.find("&lt;img src=x onerror=\"document.title='pwned'\"&gt;"), std::string::npos);
  EXPECT_EQ(dom.find("<img src=\"x\""), std::string::npos);
  EXPECT_EQ(dom.find("<title>pwned"), std::string::npos);

  dom = Chromium("--dump-dom " + Url("/runs/1/logs/install"));
  EXPECT_NE(dom.find("<span class=\"ansi-fg1\">warning</span> "
                     "&lt;script&gt;document.title='pwned'&lt;/script&gt;"),
            std::string::npos)
      << dom.substr(0, 3000);
  EXPECT_EQ(dom.find("<img src=\"x\""), std::string::npos);
  EXPECT_EQ(dom.find("<title>pwned"), std::string::npos);
}

// A run's result is readable from the JSON API alone: its stages and its level ladder.
TEST_F(DashboardTest, ApiRunHasItsStagesAndLevelLadder) {
  RecordStages();
  auto r = Get(port_, "/api/runs/1");
  ASSERT_EQ(r.status, 200);
  rapidjson::Document doc;
  doc.Parse(r.body.c_str());
  ASSERT_FALSE(doc.HasParseError()) << r.body;
  EXPECT_EQ(std::string(doc["state"].GetString()), "running");
  const auto& stages = doc["stages"];
  ASSERT_TRUE(stages.IsArray()) << r.body;
  ASSERT_EQ(stages.Size(), 3u) << r.body;
  const auto& install = stages[0];
  EXPECT_EQ(std::string(install["name"].GetString()), "install");
  EXPECT_EQ(std::string(install["status"].GetString()), "pass");
  EXPECT_EQ(std::string(install["reason"].GetString()), "");
  EXPECT_EQ(install["duration_ms"].GetInt64(), 4200);
  EXPECT_EQ(install["exit_code"].GetInt64(), 0);
  EXPECT_EQ(std::string(install["log_url"].GetString()), "/runs/1/logs/install");
  EXPECT_EQ(std::string(install["started_at"].GetString()).size(), 24u) << "RFC 3339 with ms";
  const auto& upgrade = stages[1];
  EXPECT_EQ(std::string(upgrade["status"].GetString()), "skip");
  EXPECT_EQ(std::string(upgrade["reason"].GetString()), kEvilReason) << "JSON, not HTML";
  EXPECT_TRUE(upgrade["exit_code"].IsNull());
  EXPECT_TRUE(upgrade["log_url"].IsNull()) << "no log was written";
  const auto& backup = stages[2];
  EXPECT_EQ(std::string(backup["status"].GetString()), "running");
  EXPECT_GE(backup["duration_ms"].GetInt64(), 90000) << "the time it has been running";

  const auto& ladder = doc["ladder"];
  ASSERT_TRUE(ladder.IsObject()) << r.body;
  EXPECT_FALSE(ladder["ci_error"].GetBool());
  EXPECT_EQ(ladder["level"].GetInt(), 2) << "install passed, upgrade skipped on purpose";
  ASSERT_GE(ladder["rungs"].Size(), 5u) << "rungs 1 install .. 5 lint, and any above";
  EXPECT_EQ(std::string(ladder["rungs"][0]["name"].GetString()), "install");
  EXPECT_TRUE(ladder["rungs"][0]["counted"].GetBool());
  EXPECT_EQ(std::string(ladder["rungs"][2]["name"].GetString()), "backup+restore");
  EXPECT_EQ(std::string(ladder["rungs"][2]["status"].GetString()), "running");
  EXPECT_FALSE(ladder["rungs"][2]["counted"].GetBool());
  EXPECT_FALSE(ladder["rungs"][4]["present"].GetBool());
}

TEST_F(DashboardTest, RealChromiumRunsTheLiveLogScriptUnderTheCsp) {
  RecordStages();
  // The page shows the unfinished line apart; the script (from /assets, the only script the
  // CSP allows) replaces it with what the stream sends from the last whole line on. Once the
  // browser's stream is open the stage passes, so the stream ends and Chromium's virtual time
  // (which waits for open requests) runs out.
  std::thread finisher([&] {
    ccci::testing::WaitUntil(
        [&] { return metrics_.Render({}).find("route=\"log_events\"") != std::string::npos; },
        std::chrono::seconds(30), std::chrono::milliseconds(50));
    ASSERT_TRUE(
        store_->RecordStage({1, 2, "backup", kStagePass, "", 0, 1, 900, "runs/1/backup.log"}).ok());
  });
  std::string dom = Chromium("--virtual-time-budget=5000 --dump-dom " + Url("/runs/1/logs/backup"));
  finisher.join();
  EXPECT_NE(dom.find("backing up\n"), std::string::npos) << dom.substr(0, 3000);
  EXPECT_EQ(dom.find("id=\"partial\""), std::string::npos) << "the script ran";
  EXPECT_NE(dom.find("<span><span class=\"ansi-fg2\">progress 42%</span></span>"),
            std::string::npos)
      << dom.substr(0, 3000);
  EXPECT_EQ(dom.find("progress 10%"), std::string::npos);
  EXPECT_NE(dom.find("The stage ended: pass."), std::string::npos);
}

}  // namespace
}  // namespace ccci

namespace ccci {
namespace {

// How far the pixel (x, y) is from `want` (#rrggbb): the largest channel difference.
int Distance(const render::DecodedPng& img, int x, int y, const std::string& want) {
  if (x < 0 || y < 0 || x >= img.width || y >= img.height) return 255;
  unsigned v = static_cast<unsigned>(std::stoul(want.substr(1), nullptr, 16));
  const char* p = &img.rgba[(static_cast<size_t>(y) * img.width + x) * 4];
  int d = 0;
  for (int c = 0; c < 3; ++c) {
    d = std::max(d, std::abs(static_cast<unsigned char>(p[c]) -
                             static_cast<int>((v >> (16 - 8 * c)) & 255)));
  }
  return d;
}

// `want` within `tolerance` at or next to (x, y): a browser scaling an image down blends a
// bar's edges, not its middle, whichever pixel that middle falls on.
bool ColourNear(const render::DecodedPng& img, int x, int y, const std::string& want,
                int tolerance = 24) {
  for (int dy = -1; dy <= 1; ++dy) {
    for (int dx = -1; dx <= 1; ++dx) {
      if (Distance(img, x + dx, y + dy, want) <= tolerance) return true;
    }
  }
  return false;
}

bool ColourAnywhere(const render::DecodedPng& img, const std::string& want) {
  for (int y = 0; y < img.height; ++y) {
    for (int x = 0; x < img.width; ++x) {
      if (Distance(img, x, y, want) == 0) return true;
    }
  }
  return false;
}

class HistoryViewTest : public DashboardTest {
 protected:
  // Default-branch runs at these levels (nullopt: a CI error), oldest first; the flaky ones
  // had a flaky backup; then a run of PR 18 (pr_) ends at level 3.
  void History(const std::vector<std::optional<int>>& levels, const std::vector<bool>& flaky) {
    for (size_t i = 0; i < levels.size(); ++i) {
      int64_t id = testing::QueueRun(
          store_.get(), testing::PrRun("coop-cloud/nextcloud", 0, "b" + std::to_string(i)));
      ASSERT_TRUE(store_->ClaimRun(id).value());
      const char* backup = flaky[i] ? kStageFlaky : kStagePass;
      ASSERT_TRUE(store_->RecordStage({id, 2, "backup", backup, "", 0, 1, 1, ""}).ok());
      ASSERT_TRUE(store_
                      ->FinishRun(id, levels[i] ? kRunFinished : kRunError,
                                  levels[i] ? std::optional<int64_t>(*levels[i]) : std::nullopt, "")
                      .ok());
      branch_.push_back(id);
    }
    pr_ = testing::QueueRun(store_.get(), testing::PrRun("coop-cloud/nextcloud", 18, "p18"));
    ASSERT_TRUE(store_->ClaimRun(pr_).value());
    ASSERT_TRUE(store_->FinishRun(pr_, kRunFinished, 3, "").ok());
  }
  render::DecodedPng Shot(const std::string& url, int width, int height) {
    std::string png = shots_.File("shot.png");
    Chromium("--window-size=" + std::to_string(width) + "," + std::to_string(height) +
             " --hide-scrollbars --screenshot=" + png + " " + url);
    auto img = render::DecodePng(testing::ReadFileOrDie(png));
    EXPECT_TRUE(img.ok());
    return img.ok() ? *img : render::DecodedPng{};
  }

  testing::TempDir shots_;
  std::vector<int64_t> branch_;
  int64_t pr_ = 0;
};

// The recipe page's chart in real Chromium at a PR comment's width: every run a linked mark,
// the PR's apart, drawn under the page's CSP (no script, no inline style), and visible.
TEST_F(HistoryViewTest, RealChromiumShowsTheRecipeChartAtPrCommentWidth) {
  History({0, 2, std::nullopt, 5, 8}, {false, true, false, true, false});
  std::string dom =
      Chromium("--window-size=600,900 --dump-dom " + Url("/recipes/coop-cloud/nextcloud"));
  ASSERT_NE(dom.find("<svg class=\"level-chart\""), std::string::npos) << dom.substr(0, 2000);
  for (int64_t id : branch_) {
    std::string mark = "<a href=\"/runs/" + std::to_string(id) + "\"><circle data-run=\"" +
                       std::to_string(id) + "\"";
    EXPECT_NE(dom.find(mark), std::string::npos) << mark;
  }
  std::string id = std::to_string(pr_);
  EXPECT_NE(dom.find("<a href=\"/runs/" + id + "\"><path data-run=\"" + id + "\""),
            std::string::npos)
      << "the PR run is a diamond";
  EXPECT_EQ(dom.find("<script"), std::string::npos);
  std::string flaky = dom.substr(dom.find("<table class=\"flaky\">"));
  EXPECT_NE(flaky.find("<td>backup</td><td>2 of 5 runs</td><td>40%</td>"), std::string::npos)
      << flaky.substr(0, 600);

  render::DecodedPng img = Shot(Url("/recipes/coop-cloud/nextcloud"), 600, 900);
  EXPECT_EQ(img.width, 600);
  for (int level : {0, 2, 5, 8}) {
    EXPECT_TRUE(ColourAnywhere(img, domain::LevelColor(level)))
        << "the level " << level << " mark is drawn within 600 px";
  }
}

// The summary card scaled to a PR comment's width (600 px) in real Chromium: each run of the
// sparkline is still a bar of its own in its level's colour, the CI error a gap, the PR marked.
TEST_F(HistoryViewTest, RealChromiumShowsTheCardsSparklineAtPrCommentWidth) {
  History({0, 2, std::nullopt, 5, 8}, {false, false, false, false, false});
  std::string page = shots_.File("comment.html");
  testing::WriteFile(page, "<!doctype html><body style=\"margin:0;background:#fff\"><img src=\"" +
                               Url("/runs/" + std::to_string(pr_) + "/card.png") +
                               "\" width=\"600\"></body>");
  render::DecodedPng img = Shot("file://" + page, 600, 320);
  ASSERT_EQ(img.width, 600);
  std::vector<render::HistoryPoint> points;
  for (size_t i = 0; i < branch_.size(); ++i) {
    render::HistoryPoint p;
    p.run_id = branch_[i];
    if (i != 2) p.level = std::vector<int>{0, 2, 0, 5, 8}[i];
    points.push_back(p);
  }
  points.push_back({pr_, 3, false, true, true});
  render::SparklineLayout l =
      render::LayoutSparkline(points, render::kCardHistoryX, render::kCardHistoryY,
                              render::kCardHistoryW, render::kCardHistoryH);
  const double scale = 600.0 / render::kCardWidth;
  ASSERT_EQ(l.bars.size(), 6u);
  for (const render::SparkBar& b : l.bars) {
    SCOPED_TRACE(b.run_id);
    int x = static_cast<int>((b.x + b.w / 2) * scale);
    int y = static_cast<int>((l.baseline - 3) * scale);
    if (b.h == 0) {
      EXPECT_TRUE(ColourNear(img, x, y, "#f6f8fa", 12)) << "a CI error is a gap";
    } else {
      EXPECT_TRUE(ColourNear(img, x, y, b.color)) << b.color;
      // Between two bars the card's background shows: the bars stay apart at this width.
      int between = static_cast<int>((b.x - (l.bars[0].w / 0.72 - l.bars[0].w) / 2) * scale);
      EXPECT_GT(Distance(img, between, y, b.color), 24) << "x " << between;
    }
  }
  EXPECT_TRUE(ColourNear(img, static_cast<int>(l.marker_x * scale),
                         static_cast<int>((l.marker_y + l.marker_size * 0.7) * scale), "#24292f",
                         40))
      << "the PR run is marked";
}

}  // namespace
}  // namespace ccci
