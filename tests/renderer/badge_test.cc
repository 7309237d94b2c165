#include "renderer/badge.h"

#include <cairo.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <thread>
#include <vector>

#include "renderer/font.h"
#include "renderer/png_writer.h"
#include "renderer/text_painter.h"
#include "tests/fakes/test_files.h"

namespace ccci::render {
namespace {

std::string Golden(const std::string& name) {
  return testing::ReadFileOrDie(std::string(CCCI_GOLDEN_DIR) + "/" + name);
}

// How many channels of two same-sized RGBA images differ by more than `by`.
int ChannelsOff(const DecodedPng& a, const DecodedPng& b, int by) {
  int off = 0;
  for (size_t i = 0; i < a.rgba.size(); ++i) {
    off += std::abs(static_cast<int>(static_cast<unsigned char>(a.rgba[i])) -
                    static_cast<int>(static_cast<unsigned char>(b.rgba[i]))) > by;
  }
  return off;
}

BadgeSpec NonAsciiBadge() {
  BadgeSpec b;
  b.label = "récipe ✓ 日本";  // DejaVu Sans has no CJK: .notdef boxes
  b.message =
      "ok \xff\xfe"
      "AVAWfij";
  b.color = "#abc";
  b.label_color = "orange";
  return b;
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
  EXPECT_EQ(domain::LevelColor(0), "#e05d44");
  EXPECT_EQ(domain::LevelColor(5), "#44cc11");
  EXPECT_EQ(domain::LevelColor(6), "#2ea043");
  EXPECT_EQ(domain::LevelColor(7), "#238636");
  EXPECT_EQ(domain::LevelColor(8), "#196c2e");
  EXPECT_EQ(domain::LevelColor(9), "#9f9f9f");
  EXPECT_EQ(BadgeForState("running").color, "#007ec6");
  EXPECT_EQ(BadgeForState("ci error").color, "#9f9f9f");
  // The waiting badge was the same blue as running (DESIGN.md colours).
  EXPECT_EQ(BadgeForState("queued").color, "#007ec6");
  EXPECT_EQ(BadgeForState("waiting").color, "#6f42c1");
  EXPECT_EQ(BadgeForState("cancelled").color, "#6a737d");
  EXPECT_EQ(BadgeForState("superseded").color, "#6a737d");
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
  // Anti-aliasing may differ slightly between Cairo/FreeType builds; shapes may not.
  EXPECT_LT(ChannelsOff(*got, *want, 24), static_cast<int>(got->rgba.size() / 50));
}

// The goldens were drawn by the earlier renderer, all Cairo (a clip, fills, a gradient and
// cairo_show_text per badge). Only the faint corner pixels may differ noticeably: there the
// clip applies once to the whole badge, as an SVG clip-path does.
TEST(BadgePngTest, MatchesTheAllCairoRendering) {
  struct Case {
    const char* golden;
    BadgeSpec spec;
    int scale;
  } cases[] = {{"level5.png", BadgeForLevel(5), 1},
               {"level3_2x.png", BadgeForLevel(3), 2},
               {"unicode.png", NonAsciiBadge(), 1}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.golden);
    auto got = DecodePng(RenderBadgePng(c.spec, c.scale).value());
    auto want = DecodePng(Golden(c.golden));
    ASSERT_TRUE(got.ok() && want.ok());
    ASSERT_EQ(got->width, want->width);
    ASSERT_EQ(got->height, want->height);
    // A glyph one pixel off changes dozens of channels.
    EXPECT_LE(ChannelsOff(*got, *want, 8), 8 * 4 * c.scale);
    EXPECT_LE(ChannelsOff(*got, *want, 2), 8 * 4 * c.scale + 40);
  }
}

TEST(BadgePngTest, ThreadsRenderTheSameBytes) {
  const BadgeSpec specs[] = {BadgeForLevel(0), BadgeForLevel(5), BadgeForState("running"),
                             NonAsciiBadge()};
  std::vector<std::string> want;
  for (const auto& s : specs) want.push_back(RenderBadgePng(s, 2).value());
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        size_t k = (i + t) % 4;
        mismatches[t] += RenderBadgePng(specs[k], 2).value() != want[k];
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

// Regression guard for the per-thread glyph cache: more distinct characters than it keeps,
// in a badge wider than the buffers a thread keeps, and normal badges before and after.
TEST(BadgePngTest, ManyDistinctCharactersAndAHugeBadge) {
  const std::string before = RenderBadgePng(BadgeForLevel(2)).value();
  BadgeSpec b;
  for (uint32_t cp = 0x4E00; cp < 0x4E00 + 2500; ++cp) {  // 3-byte UTF-8
    b.message += static_cast<char>(0xE0 | cp >> 12);
    b.message += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    b.message += static_cast<char>(0x80 | (cp & 0x3F));
  }
  auto img = DecodePng(RenderBadgePng(b).value());
  ASSERT_TRUE(img.ok());
  EXPECT_EQ(img->width, MeasureBadge(b).width());
  EXPECT_GT(img->width, 10000);
  EXPECT_EQ(RenderBadgePng(BadgeForLevel(2)).value(), before);
}

// PixelTextPainter's contract: the pixels TextPainter draws on a Cairo image surface.
TEST(PixelTextPainterTest, MatchesTextPainterOnACairoSurface) {
  const int w = 240, h = 48;
  for (double px : {11.0, 22.0}) {
    for (const char* text : {"cc-ci level 5", "récipe ✓ \xff AVAW fij", "ci error"}) {
      SCOPED_TRACE(std::string(text) + " at " + std::to_string(px));
      cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
      cairo_t* cr = cairo_create(surface);
      cairo_set_source_rgb(cr, 0x55 / 255.0, 0x55 / 255.0, 0x55 / 255.0);
      cairo_paint(cr);
      std::vector<uint32_t> pixels(static_cast<size_t>(w) * h, 0xff555555);
      ArgbCanvas canvas{pixels.data(), w, h, w};
      PixelTextPainter painter(FontFace::kRegular, px);
      TextPainter cairo_painter(cr, FontFace::kRegular, px);
      const double x = 3.37, y = px * 1.4;
      cairo_set_source_rgba(cr, 1 / 255.0, 1 / 255.0, 1 / 255.0, 0.3);
      cairo_painter.Draw(x, y + 1, text);
      cairo_set_source_rgb(cr, 1, 1, 1);
      cairo_painter.Draw(x, y, text);
      painter.Draw(canvas, x, y + 1, text, 0x4c000000);
      painter.Draw(canvas, x, y, text, 0xffffffff);
      cairo_destroy(cr);
      cairo_surface_flush(surface);
      const auto* want = reinterpret_cast<const uint32_t*>(cairo_image_surface_get_data(surface));
      int stride = cairo_image_surface_get_stride(surface) / 4;
      int inked = 0, off = 0;
      for (int yy = 0; yy < h; ++yy) {
        for (int xx = 0; xx < w; ++xx) {
          uint32_t a = want[yy * stride + xx], b = pixels[static_cast<size_t>(yy) * w + xx];
          inked += a != 0xff555555;
          int worst = 0;
          for (int shift = 0; shift < 32; shift += 8) {
            worst = std::max(worst, std::abs(static_cast<int>((a >> shift) & 255) -
                                             static_cast<int>((b >> shift) & 255)));
          }
          off += worst > 2;  // where glyphs overlap, coverage adds up instead of compositing
        }
      }
      cairo_surface_destroy(surface);
      EXPECT_GT(inked, 50);
      EXPECT_LE(off, inked / 200);
    }
  }
}

TEST(BadgePngTest, ScaleDoublesTheSize) {
  auto img = DecodePng(RenderBadgePng(BadgeForLevel(1), 2).value());
  ASSERT_TRUE(img.ok());
  EXPECT_EQ(img->height, 40);
  EXPECT_FALSE(RenderBadgePng(BadgeForLevel(1), 9).ok());
}

// Premultiplied pixels with flat runs (so every match distance occurs), noise and every alpha.
std::vector<uint32_t> TestPixels(int w, int h, bool alpha, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<uint32_t> px(static_cast<size_t>(w) * h);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      uint32_t v;
      if ((x / 7 + y / 3) % 3 == 0) {
        v = 0xff3366cc;  // a flat colour
      } else if (y > 0 && x % 5 == 0) {
        v = px[static_cast<size_t>(y - 1) * w + x];  // repeats the row above
      } else {
        uint32_t a = alpha ? rng() % 256 : 255;
        auto c = [&] { return a == 0 ? 0 : rng() % (a + 1); };
        v = a << 24 | c() << 16 | c() << 8 | c();
      }
      px[static_cast<size_t>(y) * w + x] = v;
    }
  }
  return px;
}

TEST(PngEncoderTest, RoundTripsThroughLibpngExactly) {
  struct Case {
    int w, h;
    bool alpha;
  } cases[] = {{1, 1, true},      {37, 5, true},   {82, 20, true},
               {164, 40, true},   {50, 20, false}, {300, 300, true},
               {640, 400, false}, {9000, 1, true}};  // rows longer than deflate's 32 KB window
  for (const Case& c : cases) {
    SCOPED_TRACE(std::to_string(c.w) + "x" + std::to_string(c.h) + (c.alpha ? " RGBA" : " RGB"));
    std::vector<uint32_t> px = TestPixels(c.w, c.h, c.alpha, c.w * 31 + c.h);
    auto png = EncodePng(ArgbPixels{px.data(), c.w, c.h, c.w, c.alpha});
    ASSERT_TRUE(png.ok()) << png.status().ToString();
    auto img = DecodePng(*png);  // libpng checks every CRC and the zlib checksum
    ASSERT_TRUE(img.ok()) << img.status().ToString();
    ASSERT_EQ(img->width, c.w);
    ASSERT_EQ(img->height, c.h);
    int wrong = 0;
    for (size_t i = 0; i < px.size(); ++i) {
      uint32_t p = px[i], a = c.alpha ? p >> 24 : 255;
      auto straight = [&](uint32_t v) { return a == 0 ? 0 : a == 255 ? v : (v * 255 + a / 2) / a; };
      const auto* got = reinterpret_cast<const unsigned char*>(&img->rgba[i * 4]);
      wrong += got[0] != straight((p >> 16) & 255) || got[1] != straight((p >> 8) & 255) ||
               got[2] != straight(p & 255) || got[3] != a;
    }
    EXPECT_EQ(wrong, 0);
  }
}

TEST(PngEncoderTest, FlatImagesCompress) {
  std::vector<uint32_t> px(200 * 60, 0xff44cc11);
  auto small = EncodePng(ArgbPixels{px.data(), 200, 60, 200, true});
  std::vector<uint32_t> big(1200 * 630, 0xffffffff);
  auto large = EncodePng(ArgbPixels{big.data(), 1200, 630, 1200, false});
  ASSERT_TRUE(small.ok() && large.ok());
  EXPECT_LT(small->size(), 600u);
  EXPECT_LT(large->size(), 8000u);
}

TEST(PngEncoderTest, RejectsEmptyImages) {
  uint32_t p = 0;
  EXPECT_FALSE(EncodePng(ArgbPixels{&p, 0, 1, 1, true}).ok());
  EXPECT_FALSE(EncodePng(ArgbPixels{nullptr, 1, 1, 1, true}).ok());
  EXPECT_FALSE(EncodePng(ArgbPixels{&p, 2, 1, 1, true}).ok());  // stride shorter than a row
}

}  // namespace
}  // namespace ccci::render
