// Rungs 6-8 in the suite, end to end through the fake abra and docker: bonfire from
// ../shared/recipes with one PR change, reaching level 8 when it earns it and stopping at the
// rung that fails, with the finding (file and line) as the reason.
#include <gtest/gtest.h>

#include "bot/runner/readme_scores.h"
#include "bot/runner/suite_level.h"
#include "tests/runner/suite_fixture.h"

namespace ccci::runner {
namespace {

// The PR makes bonfire's README say what cc-ci measures: healthchecks on every service, the
// tests' score with level 8 (Backups stays empty: no data check proves the restore).
constexpr const char* kTrueReadme =
    "sed -i -e 's/^\\* \\*\\*Healthcheck\\*\\*:$/* **Healthcheck**: Yes/' "
    "-e 's/^\\* \\*\\*Tests\\*\\*:$/* **Tests**: 3, cc-ci level 8/' README.md";

// The real clock, `offset` later: for releases that have grown old.
class LaterClock : public Clock {
 public:
  explicit LaterClock(std::chrono::hours offset) : offset_(offset) {}
  std::chrono::system_clock::time_point Now() override {
    return std::chrono::system_clock::now() + offset_;
  }
  std::chrono::steady_clock::time_point SteadyNow() override {
    return std::chrono::steady_clock::now();
  }

 private:
  std::chrono::hours offset_;
};

class SuiteRungsTest : public SuiteTest {
 protected:
  SuiteResult RunOn(const std::string& pr_change) {
    spec_ = Spec("bonfire", pr_change);
    return RunSuite(spec_, deps_, cancel_);
  }
  SuiteSpec spec_;
};

TEST_F(SuiteRungsTest, BonfireWithATrueReadmeReachesLevelEight) {
  SuiteResult r = RunOn(kTrueReadme);
  auto s = ByName(r);
  EXPECT_EQ(s["upgrade-safe"].status, kStagePass) << s["upgrade-safe"].reason;
  EXPECT_EQ(s["upgrade-safe"].reason, "nothing breaks an upgrade from 2.0.1+1.0.6-social-amd64");
  EXPECT_EQ(s["clean"].status, kStagePass) << s["clean"].reason;
  EXPECT_EQ(s["clean"].reason,
            "2 lint rules satisfied, 2 services with healthchecks, no failed task, no OOM kill");
  EXPECT_EQ(s["maintained"].status, kStagePass) << s["maintained"].reason;
  EXPECT_EQ(LevelOf(r.stages).level, 8);
  auto report = ParseScoresReport(Slurp(spec_.log_dir + "/" + kScoresReportFile));
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->differences.empty());
  EXPECT_EQ(report->measured.at("Tests"), "3, cc-ci level 8");
  EXPECT_EQ(report->measured.count("Backups"), 0u) << "no data check proved the restore";
  // The rungs read checkouts under the run's dir, which teardown removed.
  EXPECT_FALSE(Exists(spec_.work_dir));
}

TEST_F(SuiteRungsTest, AReadmeThatDisagreesStopsAtSevenWithTheMeasuredBlock) {
  SuiteResult r = RunOn("echo 'PR change' >> README.md");
  auto s = ByName(r);
  EXPECT_EQ(s["maintained"].status, kStageFail);
  EXPECT_EQ(s["maintained"].reason,
            "README.md:9: Healthcheck says '', cc-ci measured 'Yes' (and 1 more)");
  EXPECT_EQ(LevelOf(r.stages).level, 7);
  auto report = ParseScoresReport(Slurp(spec_.log_dir + "/" + kScoresReportFile));
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->differences.size(), 2u);
  EXPECT_EQ(report->differences[1].key, "Tests");
  EXPECT_EQ(report->differences[1].line, 12);
  EXPECT_NE(report->measured_block.find("* **Healthcheck**: Yes\n"), std::string::npos);
  EXPECT_NE(report->measured_block.find("* **Tests**: 3, cc-ci level 8\n"), std::string::npos)
      << "the level the recipe earns once its README is true";
  EXPECT_NE(Slurp(spec_.log_dir + "/maintained.log").find("README.md:12: Tests says ''"),
            std::string::npos);
}

TEST_F(SuiteRungsTest, AnImageGoingBackStopsAtFive) {
  SuiteResult r = RunOn(std::string(kTrueReadme) +
                        " && sed -i 's/APP_VERSION:-1.0.6/APP_VERSION:-1.0.4/' compose.yml");
  auto s = ByName(r);
  EXPECT_EQ(s["upgrade-safe"].status, kStageFail);
  EXPECT_EQ(s["upgrade-safe"].reason,
            "compose.yml:6: service app's image goes back from "
            "bonfirenetworks/bonfire:1.0.6-social-amd64 (2.0.1+1.0.6-social-amd64) to "
            "bonfirenetworks/bonfire:1.0.4-social-amd64");
  EXPECT_EQ(s["clean"].status, kStagePass) << "shown, not counted";
  EXPECT_EQ(LevelOf(r.stages).level, 5);
}

TEST_F(SuiteRungsTest, ACrashedTaskStopsAtSix) {
  setenv("FAKE_ABRA_CRASH", "1", 1);
  SuiteResult r = RunOn(kTrueReadme);
  auto s = ByName(r);
  EXPECT_EQ(s["clean"].status, kStageFail);
  std::string slot = StackName(spec_.domain) + "_app.1";
  EXPECT_EQ(s["clean"].reason.find("task " + slot + " failed: task: non-zero exit (1)"), 0u)
      << s["clean"].reason;
  EXPECT_EQ(LevelOf(r.stages).level, 6);
}

TEST_F(SuiteRungsTest, AnOomKillStopsAtSix) {
  setenv("FAKE_ABRA_OOM", "1", 1);
  SuiteResult r = RunOn(kTrueReadme);
  EXPECT_EQ(ByName(r)["clean"].status, kStageFail);
  std::string log = Slurp(spec_.log_dir + "/clean.log");
  EXPECT_NE(log.find("$ docker --context default stack ps " + StackName(spec_.domain) +
                     " --no-trunc --format {{json .}}"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("was killed for memory (OOMKilled)"), std::string::npos) << log;
  EXPECT_EQ(LevelOf(r.stages).level, 6);
}

TEST_F(SuiteRungsTest, AFailedLintWarningStopsAtSix) {
  setenv("FAKE_ABRA_LINT", "warn", 1);
  SuiteResult r = RunOn(kTrueReadme);
  auto s = ByName(r);
  EXPECT_EQ(s["lint"].status, kStagePass) << "a warning does not fail lint";
  EXPECT_EQ(s["clean"].reason, "abra recipe lint: R001 (warn) not satisfied");
  EXPECT_EQ(LevelOf(r.stages).level, 6);
}

TEST_F(SuiteRungsTest, AServiceWithoutAHealthcheckStopsAtSix) {
  SuiteResult r = RunOn(std::string(kTrueReadme) +
                        " && sed -i '/^    healthcheck:/,/^      start_period/d' compose.yml");
  auto s = ByName(r);
  EXPECT_EQ(s["clean"].reason, "compose.yml:5: service app has no healthcheck");
  EXPECT_EQ(LevelOf(r.stages).level, 6);
}

TEST_F(SuiteRungsTest, AnOldReleaseStopsAtSeven) {
  LaterClock later(std::chrono::hours(24 * 365));
  deps_.clock = &later;
  SuiteResult r = RunOn(kTrueReadme);
  auto s = ByName(r);
  EXPECT_EQ(s["maintained"].status, kStageFail);
  EXPECT_EQ(s["maintained"].reason,
            "the newest release 2.0.1+1.0.6-social-amd64 is 12.0 months old, more than "
            "levels.maintained_months (6)");
  EXPECT_EQ(LevelOf(r.stages).level, 7);
  auto report = ParseScoresReport(Slurp(spec_.log_dir + "/" + kScoresReportFile));
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->measured.at("Tests"), "3, cc-ci level 7") << "an old release earns 7";
}

TEST_F(SuiteRungsTest, AnOverlayMayDeclareARungSkipped) {
  spec_ = Spec("bonfire", kTrueReadme);
  spec_.overlay.skips["clean"] = "the app restarts by design";
  SuiteResult r = RunSuite(spec_, deps_, cancel_);
  auto s = ByName(r);
  EXPECT_EQ(s["clean"].status, kStageSkip);
  EXPECT_EQ(s["clean"].reason, "declared in the overlay: the app restarts by design");
  EXPECT_EQ(LevelOf(r.stages).level, 8);
}

}  // namespace
}  // namespace ccci::runner
