// The dashboard served by the real server, checked over HTTP and in real headless Chromium,
// including script injection through a PR title, a stage reason and a log line.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <thread>

#include "bot/http/metrics.h"
#include "bot/http/server.h"
#include "bot/intake/intake.h"
#include "bot/store/sqlite_store.h"
#include "tests/fakes/test_files.h"
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

std::string Chromium(const std::string& args) {
  return RunCommand(
      "timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-background-networking "
      "--disable-component-update --disable-sync --disable-quic --no-first-run "
      "--user-data-dir=$(mktemp -d) " + args + " 2>/dev/null");
}

class DashboardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SqliteStore::Options so;
    so.path = dir_.File("cc-ci.db");
    store_ = std::move(SqliteStore::Open(so).value());
    intake_ = std::make_unique<Intake>(store_.get(), Intake::Options{{kSecret}, "cc-ci", RealClock(), {}});
    HttpServerOptions o;
    o.listen = "127.0.0.1:0";
    server_ =
        std::make_unique<HttpServer>(o, HttpServices{intake_.get(), store_.get(), &metrics_, "test",
                                                     "http://ci.example", nullptr, dir_.path(),
                                                     "https://git.example"});
    ASSERT_TRUE(server_->Start().ok());
    port_ = server_->port();
    std::string body = ReadShared("gitea/payloads/pull_request_opened.json");
    body.replace(body.find("\"Bump Nextcloud to 30.0.4\""), 26, std::string("\"") + kEvilTitle + "\"");
    ASSERT_EQ(testing::PostWebhook(port_, "pull_request", body, "x1", kSecret).status, 202);
  }
  void TearDown() override { server_->Stop(1000); }
  std::string Url(const std::string& path) { return "http://127.0.0.1:" + std::to_string(port_) + path; }
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
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Intake> intake_;
  Metrics metrics_;
  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
};

TEST_F(DashboardTest, PagesRenderAndEscapeEverything) {
  for (const char* path : {"/", "/runs/1", "/recipes/coop-cloud/nextcloud", "/badges/coop-cloud/nextcloud"}) {
    auto page = Get(port_, path);
    EXPECT_EQ(page.status, 200) << path;
    EXPECT_EQ(page.body.find("<script>"), std::string::npos) << path;
    EXPECT_EQ(page.body.find("<img src=x"), std::string::npos) << path;
  }
  auto list = Get(port_, "/");
  EXPECT_NE(list.body.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(list.body.find("coop-cloud/nextcloud"), std::string::npos);
  EXPECT_NE(Get(port_, "/badges/coop-cloud/nextcloud").body.find("http://ci.example/badge/coop-cloud/nextcloud/pulls/17.svg"),
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

TEST_F(DashboardTest, RealChromiumRunsTheLiveLogScriptUnderTheCsp) {
  RecordStages();
  // The page shows the unfinished line apart; the script (from /assets, the only script the
  // CSP allows) replaces it with what the stream sends from the last whole line on. Once the
  // browser's stream is open the stage passes, so the stream ends and Chromium's virtual time
  // (which waits for open requests) runs out.
  std::thread finisher([&] {
    for (int i = 0; i < 600; ++i) {
      if (metrics_.Render({}).find("route=\"log_events\"") != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
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
