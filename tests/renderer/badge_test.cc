#include "renderer/badge.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "renderer/font.h"
#include "renderer/png_writer.h"
#include "tests/fakes/test_files.h"

namespace ccci::render {
namespace {

std::string Golden(const std::string& name) {
  return testing::ReadFileOrDie(std::string(CCCI_GOLDEN_DIR) + "/" + name);
}

TEST(FontMetricsTest, MeasuresFromTheBundledTtf) {
  const FontMetrics& m = FontMetrics::Get(FontFace::kRegular);
  // DejaVu Sans advances (units per em 2048): 'i' 569, 'W' 2025, ' ' 651.
  EXPECT_NEAR(m.TextWidth("i", 2048), 569, 0.01);
  EXPECT_NEAR(m.TextWidth("W", 2048), 2025, 0.01);
  EXPECT_NEAR(m.TextWidth(" ", 2048), 651, 0.01);
  EXPECT_NEAR(m.TextWidth("iW", 11), (569 + 2025) * 11.0 / 2048, 1e-9);
  EXPECT_GT(FontMetrics::Get(FontFace::kBold).TextWidth("level", 11), m.TextWidth("level", 11));
  EXPECT_GT(m.TextWidth("é ✓ 日本", 11), 0);  // non-ASCII measured, missing glyphs use .notdef
  EXPECT_GT(m.TextWidth("\xff\xfe", 11), 0);   // invalid UTF-8 does not crash
}

TEST(BadgeSvgTest, MatchesGoldenExactly) {
  EXPECT_EQ(RenderBadgeSvg(BadgeForLevel(3)), Golden("level3.svg"));
  BadgeSpec esc;
  esc.label = "recipe <&> \"x\"";
  esc.message = "ci error";
  esc.color = "#9f9f9f";
  EXPECT_EQ(RenderBadgeSvg(esc), Golden("escaped.svg"));
}

TEST(BadgeSvgTest, IsSmallReadableText) {
  std::string svg = RenderBadgeSvg(BadgeForLevel(4));
  EXPECT_LT(svg.size(), 1100u);
  EXPECT_NE(svg.find("aria-label=\"cc-ci: level 4\""), std::string::npos);
  EXPECT_NE(svg.find(">level 4</text>"), std::string::npos);
  EXPECT_NE(svg.find("fill=\"#97ca00\""), std::string::npos);
  EXPECT_EQ(svg.find("<path"), std::string::npos) << "text, not outlined glyphs";
}

TEST(BadgeSvgTest, EscapesHostileText) {
  BadgeSpec b;
  b.label = "<script>alert(1)</script>";
  b.message = "\" onload=\"x";
  std::string svg = RenderBadgeSvg(b);
  EXPECT_EQ(svg.find("<script>"), std::string::npos);
  EXPECT_EQ(svg.find("\" onload"), std::string::npos);
}

TEST(BadgeColorTest, LevelsAndStates) {
  EXPECT_EQ(LevelColor(0), "#e05d44");
  EXPECT_EQ(LevelColor(5), "#44cc11");
  EXPECT_EQ(BadgeForState("running").color, "#007ec6");
  EXPECT_EQ(BadgeForState("ci error").color, "#9f9f9f");
  EXPECT_EQ(NormalizeColor("#ABC"), "#aabbcc");
  EXPECT_EQ(NormalizeColor("orange"), "#fe7d37");
  EXPECT_FALSE(NormalizeColor("#12345").has_value());
  EXPECT_FALSE(NormalizeColor("url(x)").has_value());
}

TEST(BadgePngTest, HasTheGeometryAndColours) {
  BadgeSpec spec = BadgeForLevel(5);
  auto png = RenderBadgePng(spec);
  ASSERT_TRUE(png.ok());
  auto img = DecodePng(*png);
  ASSERT_TRUE(img.ok());
  BadgeGeometry g = MeasureBadge(spec);
  EXPECT_EQ(img->width, g.width());
  EXPECT_EQ(img->height, 20);
  auto px = [&](int x, int y) {
    return reinterpret_cast<const unsigned char*>(
        &img->rgba[(static_cast<size_t>(y) * img->width + x) * 4]);
  };
  EXPECT_LT(px(0, 0)[3], 64) << "rounded corner is (nearly) transparent";
  // Left background is #555 and right is #4c1 (under the faint gradient), away from text.
  const unsigned char* left = px(2, 10);
  EXPECT_NEAR(left[0], 0x55, 12);
  const unsigned char* right = px(img->width - 3, 10);
  EXPECT_NEAR(right[0], 0x44, 16);
  EXPECT_NEAR(right[1], 0xcc, 16);
  EXPECT_NEAR(right[2], 0x11, 16);
  // Some white text pixels in the message half.
  int white = 0;
  for (int x = g.label_width; x < img->width; ++x) {
    for (int y = 4; y < 16; ++y) white += px(x, y)[0] > 230 && px(x, y)[1] > 230;
  }
  EXPECT_GT(white, 10);
}

TEST(BadgePngTest, MatchesGoldenWithinTolerance) {
  auto got = DecodePng(RenderBadgePng(BadgeForLevel(5)).value());
  auto want = DecodePng(Golden("level5.png"));
  ASSERT_TRUE(got.ok() && want.ok());
  ASSERT_EQ(got->width, want->width);
  ASSERT_EQ(got->height, want->height);
  int off = 0;
  for (size_t i = 0; i < got->rgba.size(); ++i) {
    off += std::abs(static_cast<int>(static_cast<unsigned char>(got->rgba[i])) -
                    static_cast<int>(static_cast<unsigned char>(want->rgba[i]))) > 24;
  }
  // Anti-aliasing may differ slightly between Cairo/FreeType builds; shapes may not.
  EXPECT_LT(off, static_cast<int>(got->rgba.size() / 50));
}

TEST(BadgePngTest, ScaleDoublesTheSize) {
  auto img = DecodePng(RenderBadgePng(BadgeForLevel(1), 2).value());
  ASSERT_TRUE(img.ok());
  EXPECT_EQ(img->height, 40);
  EXPECT_FALSE(RenderBadgePng(BadgeForLevel(1), 9).ok());
}

}  // namespace
}  // namespace ccci::render
