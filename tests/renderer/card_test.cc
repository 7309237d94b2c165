#include "renderer/card.h"

#include <gtest/gtest.h>

#include "renderer/badge.h"
#include "renderer/png_writer.h"
#include "tests/fakes/test_files.h"

namespace ccci::render {
namespace {

DecodedPng Render(const RunSummary& run) {
  auto png = RenderCardPng(run);
  EXPECT_TRUE(png.ok());
  auto img = DecodePng(*png);
  EXPECT_TRUE(img.ok());
  EXPECT_EQ(img->width, kCardWidth);
  EXPECT_EQ(img->height, kCardHeight);
  return *img;
}

std::string Pixel(const DecodedPng& img, int x, int y) {
  const unsigned char* p =
      reinterpret_cast<const unsigned char*>(&img.rgba[(static_cast<size_t>(y) * img.width + x) * 4]);
  char buf[8];
  snprintf(buf, sizeof(buf), "#%02x%02x%02x", p[0], p[1], p[2]);
  return buf;
}

RunSummary Finished(int stages) {
  RunSummary r;
  r.recipe = "nextcloud";
  r.repo = "coop-cloud/nextcloud";
  r.pr = 17;
  r.short_sha = "c3a1f7e";
  r.state = "finished";
  const char* names[] = {"install", "upgrade", "backup", "restore", "functional", "lint"};
  for (int i = 0; i < stages; ++i) {
    domain::StageResult s;
    s.name = i < 6 ? names[i] : "extra-check-" + std::to_string(i);
    s.status = domain::StageStatus::kPass;
    s.duration_ms = 1000 * i;
    r.stages.push_back(s);
  }
  return r;
}

TEST(CardTest, LevelBlockHasTheLevelColour) {
  DecodedPng img = Render(Finished(6));
  EXPECT_EQ(Pixel(img, 870, 200), domain::LevelColor(5));  // inside the block, away from the text
}

TEST(CardTest, UnfinishedRunSaysSoInBlue) {
  RunSummary r = Finished(2);
  r.state = "running";
  r.stages[1].status = domain::StageStatus::kRunning;
  EXPECT_EQ(Pixel(Render(r), 870, 200), "#007ec6");
  RunSummary q;
  q.state = "queued";
  q.recipe = "traefik";
  EXPECT_EQ(Pixel(Render(q), 870, 200), "#007ec6");
}

// A cancelled run's card was blue with the running dots; waiting was the same blue.
TEST(CardTest, EachStateWithoutALevelHasItsOwnColour) {
  RunSummary r = Finished(2);
  r.stages[1].status = domain::StageStatus::kError;
  r.state = "cancelled";
  EXPECT_EQ(Pixel(Render(r), 870, 200), "#6a737d");
  r.state = "superseded";
  EXPECT_EQ(Pixel(Render(r), 870, 200), "#6a737d");
  RunSummary w;
  w.state = "waiting";
  w.recipe = "traefik";
  EXPECT_EQ(Pixel(Render(w), 870, 200), "#6f42c1");
}

TEST(CardTest, InstallErrorIsCiErrorGrey) {
  RunSummary r = Finished(1);
  r.stages[0].status = domain::StageStatus::kError;
  EXPECT_EQ(Pixel(Render(r), 870, 200), "#9f9f9f");
}

TEST(CardTest, LongNamesAndTwentyStagesStayOnTheCard) {
  RunSummary r = Finished(20);
  r.recipe = std::string(200, 'w');
  r.repo = "an-organisation-with-a-long-name/" + std::string(100, 'x');
  r.stages[3].reason = std::string(500, 'y');
  DecodedPng img = Render(r);
  // The header text stops before the right-hand subtitle: the middle of the header is bare.
  EXPECT_EQ(Pixel(img, 790, 30), "#24292f");
  // The last of 20 rows is drawn above the bottom edge: its icon is green, the margin bare.
  bool icon_seen = false;
  for (int y = 560; y < 620; ++y) icon_seen |= Pixel(img, 58, y) == "#2da44e";
  EXPECT_TRUE(icon_seen);
  EXPECT_EQ(Pixel(img, 58, 625), "#f6f8fa");
}

TEST(CardTest, ScreenshotThumbnailIsDrawnAndABadOneIsNot) {
  RunSummary r = Finished(6);
  BadgeSpec red;
  red.color = "#ff0000";
  red.message = "app";
  r.screenshot_png = RenderBadgePng(red, 4).value();  // any PNG will do as a screenshot
  DecodedPng with = Render(r);
  r.screenshot_png = "not a png";
  DecodedPng broken = Render(r);  // still a valid card
  EXPECT_NE(with.rgba, broken.rgba);
}

TEST(CardTest, ParsesTheRunJsonFixture) {
  auto run = ParseRunJson(testing::ReadFileOrDie(CCCI_FIXTURES_DIR "/run_level4.json"), "");
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->recipe, "nextcloud");
  EXPECT_EQ(run->pr, 17);
  EXPECT_EQ(run->previous_level, 3);
  ASSERT_EQ(run->stages.size(), 8u);
  EXPECT_EQ(run->stages[5].status, domain::StageStatus::kFail);
  EXPECT_FALSE(ParseRunJson("{\"stages\": [{\"name\": \"x\", \"status\": \"passed\"}]}", "").ok());
  EXPECT_FALSE(ParseRunJson("[]", "").ok());
}

TEST(CardTest, FormatsDurations) {
  EXPECT_EQ(FormatDuration(1234), "1.2 s");
  EXPECT_EQ(FormatDuration(184200), "3 min 4 s");
  EXPECT_EQ(FormatDuration(3723000), "1 h 2 min");
}

}  // namespace
}  // namespace ccci::render
