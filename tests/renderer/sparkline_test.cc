// The level history sparkline: its layout for many, few and no runs and CI errors, on the
// card (pixels) and as the standalone history badge (SVG).
#include "renderer/sparkline.h"

#include <gtest/gtest.h>

#include "domain/level.h"
#include "renderer/badge.h"
#include "renderer/card.h"
#include "renderer/png_writer.h"

namespace ccci::render {
namespace {

constexpr double kX = 100, kY = 50, kW = 300, kH = 40;

std::vector<HistoryPoint> Levels(const std::vector<std::optional<int>>& levels) {
  std::vector<HistoryPoint> out;
  int64_t id = 1;
  for (const auto& l : levels) out.push_back({id++, l, false, false, false});
  return out;
}

TEST(SparklineTest, NoRunsDrawNothing) {
  SparklineLayout l = LayoutSparkline({}, kX, kY, kW, kH);
  EXPECT_TRUE(l.bars.empty());
  EXPECT_FALSE(l.marked);
  EXPECT_FALSE(l.base_x1 > l.base_x0) << "no baseline without runs";
}

TEST(SparklineTest, AFewRunsSitAtTheRightEndInFixedSlots) {
  SparklineLayout l = LayoutSparkline(Levels({3, 4, 5}), kX, kY, kW, kH);
  ASSERT_EQ(l.bars.size(), 3u);
  const double slot = kW / kSparklineSlots;
  EXPECT_NEAR(l.bars[2].x + l.bars[2].w / 2, kX + kW - slot / 2, 1e-9);
  EXPECT_NEAR(l.bars[1].x - l.bars[0].x, slot, 1e-9);
  EXPECT_NEAR(l.base_x0, kX + kW - 3 * slot, 1e-9) << "the baseline runs under the runs only";
  EXPECT_NEAR(l.base_x1, kX + kW, 1e-9);
  EXPECT_NEAR(l.baseline, kY + kH, 1e-9) << "no room kept for a marker when none is current";
}

TEST(SparklineTest, ManyRunsShowTheNewestThirty) {
  std::vector<std::optional<int>> levels(45, 5);
  SparklineLayout l = LayoutSparkline(Levels(levels), kX, kY, kW, kH);
  ASSERT_EQ(l.bars.size(), 30u);
  EXPECT_EQ(l.bars.front().run_id, 16);
  EXPECT_EQ(l.bars.back().run_id, 45);
  EXPECT_NEAR(l.bars.front().x, kX + (kW / kSparklineSlots - l.bars.front().w) / 2, 1e-9);
  for (size_t i = 1; i < l.bars.size(); ++i) {
    EXPECT_GT(l.bars[i].x, l.bars[i - 1].x + l.bars[i - 1].w) << "bars never touch";
  }
}

TEST(SparklineTest, HeightFollowsTheLevelOnTheZeroToEightScaleInItsColour) {
  SparklineLayout l = LayoutSparkline(Levels({0, 1, 2, 3, 4, 5, 6, 7, 8}), kX, kY, kW, kH);
  ASSERT_EQ(l.bars.size(), 9u);
  EXPECT_GT(l.bars[0].h, 0) << "level 0 is a red stub, not a gap";
  for (int level = 0; level <= 8; ++level) {
    const SparkBar& b = l.bars[level];
    EXPECT_EQ(b.color, domain::LevelColor(level));
    EXPECT_NEAR(b.y + b.h, l.baseline, 1e-9);
    if (level > 0) {
      EXPECT_GT(b.h, l.bars[level - 1].h);
    }
  }
  EXPECT_NEAR(l.bars[8].y, kY, 1e-9) << "level 8 fills the height";
}

TEST(SparklineTest, ACiErrorIsAGapOverAnUnbrokenBaseline) {
  SparklineLayout l = LayoutSparkline(Levels({5, std::nullopt, 5}), kX, kY, kW, kH);
  ASSERT_EQ(l.bars.size(), 3u);
  EXPECT_EQ(l.bars[1].h, 0);
  EXPECT_EQ(l.bars[1].color, "");
  EXPECT_LT(l.base_x0, l.bars[0].x);
  EXPECT_GT(l.base_x1, l.bars[2].x + l.bars[2].w);
}

TEST(SparklineTest, TheCurrentRunIsMarkedUnderItsBar) {
  auto points = Levels({4, 5, 5});
  points[1].current = true;
  SparklineLayout l = LayoutSparkline(points, kX, kY, kW, kH);
  ASSERT_TRUE(l.marked);
  EXPECT_NEAR(l.marker_x, l.bars[1].x + l.bars[1].w / 2, 1e-9);
  EXPECT_GT(l.marker_y, l.baseline);
  EXPECT_LE(l.marker_y + l.marker_size, kY + kH + 1e-9) << "the marker stays in the box";
  EXPECT_LT(l.baseline, kY + kH) << "room is kept under the bars for the marker";
}

TEST(SparklineTest, APrRunGetsItsOwnSlotApartAfterTheBranch) {
  std::vector<std::optional<int>> levels(30, 5);
  auto points = Levels(levels);
  HistoryPoint pr{99, 3, false, true, true};
  points.push_back(pr);
  SparklineLayout l = LayoutSparkline(points, kX, kY, kW, kH);
  ASSERT_EQ(l.bars.size(), 31u) << "thirty branch runs and the PR run";
  const SparkBar& last_branch = l.bars[29];
  const SparkBar& apart = l.bars[30];
  EXPECT_EQ(apart.run_id, 99);
  EXPECT_EQ(apart.color, domain::LevelColor(3));
  double slot = last_branch.w / 0.72;
  EXPECT_GT(apart.x - (last_branch.x + last_branch.w), slot * 0.5) << "a visible gap before it";
  EXPECT_LE(apart.x + apart.w, kX + kW + 1e-9);
  EXPECT_NEAR(l.base_x1, last_branch.x + last_branch.w + (slot - last_branch.w) / 2, 1e-9)
      << "the baseline stops with the branch";
  EXPECT_NEAR(l.marker_x, apart.x + apart.w / 2, 1e-9);
}

TEST(SparklineTest, ARunNotFinishedIsAnActiveStub) {
  auto points = Levels({5});
  points.push_back({2, std::nullopt, true, true, false});
  SparklineLayout l = LayoutSparkline(points, kX, kY, kW, kH);
  EXPECT_EQ(l.bars[1].color, kColorActive);
  EXPECT_GT(l.bars[1].h, 0);
  EXPECT_LT(l.bars[1].h, l.bars[0].h);
}

std::string Pixel(const DecodedPng& img, double x, double y) {
  size_t at = (static_cast<size_t>(y) * img.width + static_cast<size_t>(x)) * 4;
  char buf[8];
  snprintf(buf, sizeof(buf), "#%02x%02x%02x", static_cast<unsigned char>(img.rgba[at]),
           static_cast<unsigned char>(img.rgba[at + 1]), static_cast<unsigned char>(img.rgba[at + 2]));
  return buf;
}

// The card draws the same layout: each bar in its level's colour, the gap bare, the marker dark.
TEST(SparklineTest, TheCardDrawsTheHistoryUnderTheLevelBlock) {
  RunSummary run;
  run.recipe = "nextcloud";
  run.repo = "coop-cloud/nextcloud";
  run.state = "finished";
  run.history = Levels({2, 5, std::nullopt, 8, 0});
  run.history.back().current = true;
  auto png = RenderCardPng(run);
  ASSERT_TRUE(png.ok());
  auto img = DecodePng(*png);
  ASSERT_TRUE(img.ok());
  SparklineLayout l = LayoutSparkline(run.history, kCardHistoryX, kCardHistoryY, kCardHistoryW,
                                      kCardHistoryH);
  for (const SparkBar& b : l.bars) {
    SCOPED_TRACE(b.run_id);
    double cx = b.x + b.w / 2;
    if (b.h == 0) {
      EXPECT_EQ(Pixel(*img, cx, l.baseline - 8), "#f6f8fa") << "a CI error is a gap";
    } else {
      EXPECT_EQ(Pixel(*img, cx, b.y + b.h - 1), b.color);
    }
  }
  EXPECT_EQ(Pixel(*img, l.marker_x, l.marker_y + l.marker_size - 1), "#24292f");
  EXPECT_EQ(Pixel(*img, l.bars[3].x + l.bars[3].w / 2, l.marker_y + l.marker_size - 1), "#f6f8fa")
      << "only the current run is marked";
}

TEST(HistoryBadgeTest, IsABadgeHighSvgWithABarPerRunAndNoScript) {
  auto points = Levels({5, std::nullopt, 3});
  points[2].current = true;
  std::string svg = RenderHistorySvg(points, "coop-cloud/<b>x</b>");
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u) << svg;
  EXPECT_NE(svg.find("height=\"20\""), std::string::npos);
  EXPECT_NE(svg.find(">cc-ci history</text>"), std::string::npos);
  EXPECT_NE(svg.find("coop-cloud/&lt;b&gt;x&lt;/b&gt;: 5, CI error, 3 (oldest first)"),
            std::string::npos)
      << svg;
  EXPECT_EQ(svg.find("<b>"), std::string::npos);
  EXPECT_NE(svg.find("fill=\"" + domain::LevelColor(5) + "\""), std::string::npos);
  EXPECT_NE(svg.find("fill=\"" + domain::LevelColor(3) + "\""), std::string::npos);
  EXPECT_EQ(svg.find("#24292f"), std::string::npos) << "a README badge marks no run";
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_NE(RenderHistorySvg({}, "o/r").find("no runs yet"), std::string::npos);
}

}  // namespace
}  // namespace ccci::render
