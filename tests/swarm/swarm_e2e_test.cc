// cc-ci on a real Docker Swarm (the lane of tests/swarm/README.md): the real binary, a
// signed webhook per PR of the demo recipe, the abra stand-in deploying for real, the app
// reached on 127.0.0.1 through the lane's proxy, a real Chromium screenshot. Each test's
// TearDown checks that nothing of its runs is left on the swarm.
#include <gtest/gtest.h>
#include <png.h>
#include <signal.h>

#include <algorithm>

#include "base/leftover_group.h"
#include "bot/cli/doctor.h"
#include "bot/runner/executor.h"
#include "tests/fakes/wait_until.h"
#include "tests/swarm/swarm_ci.h"

namespace ccci {
namespace {

using testing::SwarmLane;

// The RGB of pixel (x, y) of a PNG file; -1 if it cannot be read.
long Pixel(const std::string& path, unsigned x, unsigned y) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&image, path.c_str())) return -1;
  image.format = PNG_FORMAT_RGB;
  std::vector<unsigned char> rgb(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, rgb.data(), 0, nullptr)) return -1;
  if (x >= image.width || y >= image.height) return -1;
  const unsigned char* p = &rgb[(static_cast<size_t>(y) * image.width + x) * 3];
  return (long{p[0]} << 16) | (long{p[1]} << 8) | p[2];
}

// The stand-in knows every command and flag the runner passes abra (the check `cc-ci doctor`
// makes of a host's real abra), and parses them as abra's cobra does.
TEST(SwarmStandIn, KnowsEveryCommandAndFlagTheRunnerUsesAndParsesLikeCobra) {
  testing::TempDir dir;
  const std::string abra = CCCI_SOURCE_DIR "/tests/swarm/abra";
  Config config;
  config.runner_abra = abra;
  config.data_dir = dir.File("data");
  runner::PtyExecutor executor;
  std::vector<DoctorCheck> checks = HostChecks(config, DoctorRole::kSingleHost, &executor, false);
  auto contract = std::find_if(checks.begin(), checks.end(), [](const DoctorCheck& c) {
    return c.what.rfind("abra knows every command", 0) == 0 || c.what.rfind("abra lacks", 0) == 0;
  });
  ASSERT_NE(contract, checks.end());
  EXPECT_TRUE(contract->ok) << contract->Line();
  std::string env = "ABRA_DIR='" + dir.path() + "' ";
  EXPECT_EQ(testing::Sh(env + abra + " app deploy x.test --bogus || true"),
            "Error: unknown flag: --bogus\n");
  EXPECT_EQ(testing::Sh(env + abra + " app deploy --no-input -- --chaos || true"),
            "FATA unable to find app --chaos (no " + dir.path() + "/servers/*/--chaos.env)\n")
      << "after --, a word is an argument";
}

class SwarmRun : public testing::SwarmCiTest {};

TEST_F(SwarmRun, APrReachesLevelFiveWithAScreenshotOfTheRealApp) {
  StartServer();
  OpenPr(1, 1);
  auto run = WaitRun(1);
  auto st = Stages(run);
  EXPECT_EQ(std::string(run["state"].GetString()), "finished") << run["reason"].GetString();
  ASSERT_TRUE(run["level"].IsInt()) << run["reason"].GetString();
  EXPECT_EQ(run["level"].GetInt(), 5);
  EXPECT_EQ(st["install"], "pass");
  EXPECT_EQ(st["upgrade"], "pass: upgraded from 1.0.1+1");
  EXPECT_EQ(st["backup"], "pass");
  EXPECT_EQ(st["restore"], "pass: the seeded data came back");
  EXPECT_EQ(st["functional"], "pass: 1 check(s) passed");
  EXPECT_EQ(st["lint"], "pass: 9 rules checked");
  EXPECT_EQ(st["screenshot"], "pass");
  EXPECT_EQ(st["teardown"], "pass");
  EXPECT_EQ(run["ladder"]["level"].GetInt(), 5);
  // The screenshot is of the app itself: version 2's page, whose background is #2ea043.
  EXPECT_EQ(Pixel(DataFile("runs/1/screenshot.png"), 5, 5), 0x2ea043);
  std::string install = testing::ReadFileOrDie(DataFile("runs/1/install.log"));
  EXPECT_NE(install.find("Creating service " + Stack(1, 1) + "_app"), std::string::npos) << install;
  std::string upgrade = testing::ReadFileOrDie(DataFile("runs/1/upgrade.log"));
  EXPECT_NE(upgrade.find("[cc-ci] the stack is gone after"), std::string::npos) << upgrade;
  std::string teardown = testing::ReadFileOrDie(DataFile("runs/1/teardown.log"));
  EXPECT_NE(teardown.find("volume " + Stack(1, 1) + "_data removed"), std::string::npos)
      << teardown;
}

TEST_F(SwarmRun, AnUpgradeToAnImageThatExitsAtOnceIsCaught) {
  StartServer();
  OpenPr(2, 1);
  auto run = WaitRun(1);
  auto st = Stages(run);
  ASSERT_TRUE(run["level"].IsInt()) << run["reason"].GetString();
  EXPECT_EQ(run["level"].GetInt(), 1) << "installed, not upgraded";
  EXPECT_EQ(st["install"], "pass") << "the broken head installs on a fresh volume";
  EXPECT_EQ(st["upgrade"].rfind("fail: ", 0), 0u) << st["upgrade"];
  EXPECT_NE(st["upgrade"].find("rolled back"), std::string::npos) << st["upgrade"];
  EXPECT_EQ(st["backup"], "unverified: the upgrade left the app in an unknown state");
  EXPECT_EQ(st["teardown"], "pass");
}

TEST_F(SwarmRun, ARestoreThatBringsNothingBackFailsTheDataCheck) {
  StartServer();
  OpenPr(3, 1);  // backs up only the volume's `created` file, not the note the check seeds
  auto run = WaitRun(1);
  auto st = Stages(run);
  ASSERT_TRUE(run["level"].IsInt()) << run["reason"].GetString();
  EXPECT_EQ(run["level"].GetInt(), 2);
  EXPECT_EQ(st["backup"], "pass");
  EXPECT_EQ(st["restore"].rfind("fail: the restored data is not what was backed up", 0), 0u)
      << st["restore"];
  EXPECT_EQ(st["teardown"], "pass");
}

TEST_F(SwarmRun, TwoRunsAtOnceDoNotDisturbEachOther) {
  StartServer(/*concurrency=*/2);
  OpenPr(1, 1);
  OpenPr(2, 2);
  auto good = WaitRun(1);
  auto broken = WaitRun(2);
  ASSERT_TRUE(good["level"].IsInt()) << good["reason"].GetString();
  ASSERT_TRUE(broken["level"].IsInt()) << broken["reason"].GetString();
  EXPECT_EQ(good["level"].GetInt(), 5) << good["reason"].GetString();
  EXPECT_EQ(broken["level"].GetInt(), 1);
  EXPECT_EQ(Stages(good)["restore"], "pass: the seeded data came back") << "its own volume";
  EXPECT_NE(Stages(broken)["upgrade"].find("rolled back"), std::string::npos);
  // They ran at the same time: each started before the other finished.
  std::string s1 = good["started_at"].GetString(), f1 = good["finished_at"].GetString();
  std::string s2 = broken["started_at"].GetString(), f2 = broken["finished_at"].GetString();
  EXPECT_LT(s1, f2);
  EXPECT_LT(s2, f1);
}

// cc-ci SIGKILLed while abra deploys: the next start tears the stack down (Recover), and a
// run interrupted as often as runner.max_attempts ends as a CI error with nothing deployed.
TEST_F(SwarmRun, ACcCiKilledDuringADeployIsRecoveredAndTheStackRemoved) {
  StartServer();
  OpenPr(1, 1);
  const std::string stack = Stack(1, 1);
  std::string first;
  for (int attempt = 1; attempt <= 2; ++attempt) {
    std::string service;
    int polls = 0;
    ccci::testing::WaitUntil(
        [&] {
          service =
              SwarmLane::Docker("service ls -q --filter label=com.docker.stack.namespace=" + stack);
          if (!service.empty()) return true;
          // Now and then: did the run end without deploying?
          return ++polls % 20 == 0 &&
                 testing::Get(server_->port(), "/api/runs/1").body.find("\"finished_at\":\"") !=
                     std::string::npos;
        },
        std::chrono::seconds(120), std::chrono::milliseconds(50));
    ASSERT_FALSE(service.empty()) << "attempt " << attempt << " never deployed\n" << Diagnose(1);
    auto run = WaitRun(1, [](const rapidjson::Document& d) {
      return std::string(d["state"].GetString()) == "running";
    });
    EXPECT_EQ(Stages(run)["install"], "running") << "killed in the middle of the install";
    server_->Kill(SIGKILL);
    EXPECT_NE(SwarmLane::Leftovers(stack), "") << "the killed cc-ci left its stack deployed";
    if (attempt == 2) {
      EXPECT_NE(service, first) << "the first stack was removed and deployed anew";
    }
    first = service;
    StartServer();  // returns once Recover() is done and cc-ci listens
    if (attempt == 1) {
      EXPECT_EQ(SwarmLane::Docker("service ls -q --filter id=" + service.substr(0, 12)), "")
          << "recovery removed the interrupted run's stack";
    }
  }
  EXPECT_EQ(SwarmLane::Leftovers(stack), "") << Diagnose(1);
  auto run = WaitRun(1);
  EXPECT_EQ(std::string(run["state"].GetString()), "error");
  EXPECT_EQ(std::string(run["reason"].GetString()), "interrupted by cc-ci restarts 2 times");
}

// The reaper's sweep (issue 15): a run that ended elsewhere (reaped for the last time by a
// worker on another host, say) left its stack on this server, and this host has nothing of it
// (no work dir, no abra env file). cc-ci starting sweeps its server: the stack, with its
// volume and secret, is removed with docker alone.
TEST_F(SwarmRun, AStackLeftByARunThatEndedElsewhereIsRemovedAtStartup) {
  StartServer();
  OpenPr(1, 1);
  const std::string stack = Stack(1, 1);
  ASSERT_TRUE(ccci::testing::WaitUntil(
      [&] {
        return !SwarmLane::Docker("service ls -q --filter label=com.docker.stack.namespace=" +
                                  stack)
                    .empty();
      },
      std::chrono::seconds(120), std::chrono::milliseconds(50)))
      << Diagnose(1);
  server_->Kill(SIGKILL);
  // What the other host's reaper would have left: the run a CI error, nothing of it here.
  KillLeftoverGroup(DataFile("work/1/command.pid"));
  testing::Sh("sqlite3 '" + DataFile("cc-ci.db") +
              "' \"UPDATE runs SET state = 'error', reason = 'lost its worker 2 times', "
              "finished_at = updated_at WHERE id = 1\" && rm -rf '" +
              DataFile("work/1") + "'");
  ASSERT_NE(SwarmLane::Leftovers(stack), "");
  StartServer();  // returns once Recover() (and its sweep) is done
  EXPECT_EQ(SwarmLane::Leftovers(stack), "")
      << testing::Sh("cat '" + DataFile("runs/1/reaper.log") + "' 2>&1");
  auto run = WaitRun(1);
  EXPECT_EQ(std::string(run["state"].GetString()), "error") << "only its stack was touched";
}

}  // namespace
}  // namespace ccci
