// The whole path through the real binary: a signed pull_request webhook -> the run queued ->
// the trust gate (the author is allowlisted) -> the suite through the scripted fake abra ->
// finished with its level -> the sticky comment and status in the (dry-run) outbox, the
// stage log served over HTTP, the app's screenshot taken by Chromium through runner.connect_to
// (the app domain is known to no DNS) and kept with the run.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "tests/fakes/fake_proxy.h"
#include "tests/fakes/recipe_repo.h"
#include "tests/fakes/server_process.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/wait_until.h"
#include "tests/fakes/webhook_client.h"

namespace ccci {
namespace {

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

TEST(RunnerEndToEnd, AWebhookBecomesAFinishedRunReportedOnThePr) {
  testing::TempDir dir;
  std::string swarm = dir.File("swarm");
  testing::Sh("mkdir -p '" + swarm + "'");
  testing::FakeProxy proxy(swarm);
  auto repo = testing::RecipeRepo::FromShared("traefik", dir.File("nextcloud"));
  std::ofstream(dir.File("cc-ci.ini"))
      << "[gitea]\ntrusted_users = alice\n"
      << "[runner]\ndomain = ci.test\napp_url = http://{domain}{health_path}\n"
      << "connect_to = ::127.0.0.1:" << proxy.port() << "\nready_timeout = 10s\n"
      << "screenshots = true\nallowed_clone_urls = " << repo.dir << "\npass_env = FAKE_*\n";
  std::string path = std::string(CCCI_SOURCE_DIR "/tests/fakes/bin:") + getenv("PATH");
  testing::ServerProcess server(
      CCCI_BIN_DIR "/cc-ci", dir.File("data"),
      {"CC_CI_WEBHOOK_SECRET=test-secret", "PATH=" + path, "FAKE_SWARM_DIR=" + swarm,
       "FAKE_APP_BIN=" CCCI_BIN_DIR "/fake_app"},
      {"--config", dir.File("cc-ci.ini")});

  std::string body = testing::ReadShared("gitea/payloads/pull_request_opened.json");
  body = ReplaceAll(body, "9b2e7c4d1a0f3e5b6c8d7a9e0f1b2c3d4e5f6a7b", repo.head);
  body = ReplaceAll(body, "https://git.coopcloud.tech/alice/nextcloud.git", repo.dir);
  auto posted = testing::PostWebhook(server.port(), "pull_request", body, "e2e-1", "test-secret");
  ASSERT_EQ(posted.status, 202) << posted.body;

  std::string run;
  testing::WaitUntil(
      [&] {
        run = testing::Get(server.port(), "/api/runs/1").body;
        return run.find("\"state\":\"finished\"") != std::string::npos ||
               run.find("\"state\":\"error\"") != std::string::npos;
      },
      std::chrono::seconds(60), std::chrono::milliseconds(50));
  EXPECT_NE(run.find("\"state\":\"finished\""), std::string::npos) << run;
  // traefik has no x.y.z+upstream release: rung 8 (maintained) fails (rungs_e2e_test.cc).
  EXPECT_NE(run.find("\"level\":7"), std::string::npos) << run;

  std::string log = testing::Get(server.port(), "/runs/1/logs/install.txt").body;
  EXPECT_NE(log.find("$ abra app new --server default --domain nextcloud-"), std::string::npos)
      << log;
  EXPECT_EQ(log.find("test-secret"), std::string::npos) << "the webhook secret never reaches a log";

  std::ifstream shot(dir.File("data") + "/runs/1/screenshot.png", std::ios::binary);
  std::string magic(8, '\0');
  shot.read(magic.data(), 8);
  EXPECT_EQ(magic, "\x89PNG\r\n\x1a\n") << "the screenshot stage captured the app";
  EXPECT_EQ(testing::Get(server.port(), "/runs/1/screenshot.png").status, 200);

  std::string outbox;
  testing::WaitUntil(
      [&] {
        outbox = testing::Get(server.port(), "/api/outbox").body;
        return outbox.find("level 7") != std::string::npos;
      },
      std::chrono::seconds(5), std::chrono::milliseconds(50));
  EXPECT_NE(outbox.find("level 7"), std::string::npos) << outbox;
  // Started with --listen 127.0.0.1:0: links name the port picked, not 0.
  EXPECT_NE(outbox.find("http://127.0.0.1:" + std::to_string(server.port()) + "/runs/1"),
            std::string::npos)
      << outbox;
  EXPECT_EQ(testing::Sh("ls '" + swarm + "/pids' | wc -l"), "0\n") << "torn down";

  std::string metrics = testing::Get(server.port(), "/metrics").body;
  EXPECT_NE(metrics.find("ccci_runs_finished_total{outcome=\"level_7\"} 1"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("ccci_stage_duration_seconds_count{stage=\"install\",status=\"pass\"} 1"),
            std::string::npos)
      << metrics;
}

}  // namespace
}  // namespace ccci
