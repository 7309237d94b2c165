#include "bot/runner/overlay.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/fakes/test_files.h"

namespace ccci::runner {
namespace {

TEST(Overlay, ParsesEveryKeyAndKeepsCheckOrder) {
  auto o = ParseOverlay(
      "[app]\nhealth_path = /api/health\nexpected_codes = 200, 302\nready_timeout = 30m\n"
      "stage_timeout = 1h\nupgrade_base = 1.2.0+3.4\nenv = A=1, B=two\n"
      "[suite]\ngeneric = false\nrecipe_checks = tests/cc-ci.sh\n"
      "[skip]\nbackup = needs S3\nclean = restarts by design\n"
      "[functional]\nzeta = true\nalpha = exit 0\n"
      "[data]\nseed = s\nchange = c\nverify = v\n",
      "x.ini");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->health_path, "/api/health");
  EXPECT_EQ(o->expected_codes, (std::vector<int>{200, 302}));
  EXPECT_EQ(o->ready_timeout, std::chrono::seconds(1800));
  EXPECT_EQ(o->stage_timeout, std::chrono::seconds(3600));
  EXPECT_EQ(o->upgrade_base, "1.2.0+3.4");
  EXPECT_EQ(o->env, (std::vector<std::string>{"A=1", "B=two"}));
  EXPECT_FALSE(o->generic);
  EXPECT_EQ(o->recipe_checks, "tests/cc-ci.sh");
  EXPECT_EQ(o->skips.at("backup"), "needs S3");
  EXPECT_EQ(o->skips.at("clean"), "restarts by design") << "the rungs above lint may be skipped too";
  ASSERT_EQ(o->checks.size(), 2u);
  EXPECT_EQ(o->checks[0].first, "zeta") << "checks run in the order written";
  EXPECT_EQ(o->data_seed + o->data_change + o->data_verify, "scv");
}

TEST(Overlay, RefusesMistakesWithFileAndLine) {
  auto bad = [](const std::string& text) { return ParseOverlay(text, "r.ini").status().message(); };
  EXPECT_EQ(bad("[app]\nhealth_path = api\n"), "r.ini:2: app.health_path: must start with /");
  EXPECT_EQ(bad("[app]\nexpected_codes = 200, abc\n"), "r.ini:2: app.expected_codes: not an HTTP status: 'abc'");
  EXPECT_EQ(bad("[skip]\ninstall = no\n").find("r.ini:2: skip.install: no such stage"), 0u);
  EXPECT_EQ(bad("[suite]\nrecipe_checks = ../../etc/passwd\n"),
            "r.ini:2: suite.recipe_checks: must be a relative path inside the recipe");
  EXPECT_EQ(bad("[app]\nhelth_path = /\n"), "r.ini:2: app.helth_path: unknown key");
  EXPECT_EQ(bad("[data]\nseed = true\nverify = true\n"),
            "r.ini: [data] needs seed, change and verify together");
}

TEST(Overlay, AMissingFileIsTheDefaultOverlay) {
  auto o = LoadOverlay("/nonexistent-dir", "bonfire");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->health_path, "/");
  EXPECT_TRUE(o->generic);
  EXPECT_TRUE(o->source.empty());
}

TEST(Overlay, AFilePlantedOutsideTheOverlayDirIsNeverLoaded) {
  // A recipe named "../planted" (from a webhook) read <dir>/../planted.ini as an operator's
  // trusted overlay, and ran its checks.
  testing::TempDir dir;
  std::ofstream(dir.File("planted.ini")) << "[functional]\npwn = touch /tmp/pwned\n";
  auto o = LoadOverlay(dir.File("overlays"), "../planted");
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("is not a path under"), std::string::npos);
}

}  // namespace
}  // namespace ccci::runner
