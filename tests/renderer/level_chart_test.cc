// The recipe page's level chart: layout for many, few and no runs and CI errors, and an SVG
// that the page's CSP lets through (no script, no style attribute) with a linked mark per run.
#include "renderer/level_chart.h"

#include <gtest/gtest.h>

#include <regex>

#include "domain/level.h"
#include "renderer/badge.h"

namespace ccci::render {
namespace {

ChartRun Mark(int64_t id, int64_t pr, std::optional<int> level) {
  return {id, pr, level, "#" + std::to_string(id)};
}

size_t Count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

TEST(LevelChartTest, NoRunsGiveLabelledAxesAndANote) {
  ChartLayout l = LayoutLevelChart({});
  EXPECT_TRUE(l.marks.empty());
  EXPECT_TRUE(l.run_ticks.empty());
  ASSERT_EQ(l.level_ticks.size(), 9u);
  for (int level = 0; level <= 8; ++level) {
    EXPECT_EQ(l.level_ticks[level].text, std::to_string(level));
    if (level > 0) {
      EXPECT_LT(l.level_ticks[level].pos, l.level_ticks[level - 1].pos) << "up";
    }
  }
  EXPECT_DOUBLE_EQ(l.level_ticks[0].pos, l.bottom);
  EXPECT_DOUBLE_EQ(l.level_ticks[8].pos, l.top);
  std::string svg = RenderLevelChartSvg({});
  EXPECT_NE(svg.find("no finished runs yet"), std::string::npos);
  EXPECT_EQ(svg.find("data-run"), std::string::npos);
}

TEST(LevelChartTest, AFewRunsAreSpreadInRunOrderAtTheirLevel) {
  ChartLayout l = LayoutLevelChart({Mark(3, 0, 2), Mark(4, 7, 5), Mark(6, 0, 8)});
  ASSERT_EQ(l.marks.size(), 3u);
  EXPECT_NEAR(l.marks[1].x, (l.left + l.right) / 2, 1e-9) << "the middle run is centred";
  EXPECT_LT(l.marks[0].x, l.marks[1].x);
  EXPECT_LT(l.marks[1].x, l.marks[2].x);
  EXPECT_DOUBLE_EQ(l.marks[0].y, l.level_ticks[2].pos);
  EXPECT_DOUBLE_EQ(l.marks[1].y, l.level_ticks[5].pos);
  EXPECT_DOUBLE_EQ(l.marks[2].y, l.top);
  EXPECT_FALSE(l.marks[0].pr);
  EXPECT_TRUE(l.marks[1].pr);
  EXPECT_EQ(l.marks[1].color, domain::LevelColor(5));
  EXPECT_DOUBLE_EQ(l.marks[0].r, 6) << "few runs get full-size marks";
  ASSERT_EQ(l.branch_lines.size(), 1u) << "the branch's line passes over the PR run";
  EXPECT_EQ(l.branch_lines[0].size(), 2u);
  ASSERT_EQ(l.run_ticks.size(), 3u);
  EXPECT_EQ(l.run_ticks[0].text, "#3");
  EXPECT_EQ(l.run_ticks[2].text, "#6");
}

TEST(LevelChartTest, ManyRunsKeepTheNewestHundredInsideThePlotUncrowded) {
  std::vector<ChartRun> runs;
  for (int64_t id = 1; id <= 150; ++id) runs.push_back(Mark(id, id % 3 == 0 ? id : 0, id % 9));
  ChartLayout l = LayoutLevelChart(runs);
  ASSERT_EQ(l.marks.size(), 100u);
  EXPECT_EQ(l.marks.front().run_id, 51);
  EXPECT_EQ(l.marks.back().run_id, 150);
  for (size_t i = 0; i < l.marks.size(); ++i) {
    const ChartMark& m = l.marks[i];
    EXPECT_GE(m.x - m.r, l.left);
    EXPECT_LE(m.x + m.r, l.right);
    EXPECT_GE(m.r, 2.5);
    if (i > 0) {
      EXPECT_GE(m.x - l.marks[i - 1].x, 2 * m.r) << "marks do not overlap";
    }
  }
  ASSERT_GE(l.run_ticks.size(), 2u);
  EXPECT_EQ(l.run_ticks.back().text, "#150") << "the newest run is always labelled";
  for (size_t i = 1; i < l.run_ticks.size(); ++i) {
    EXPECT_GE(l.run_ticks[i].pos - l.run_ticks[i - 1].pos, 56) << "run labels never collide";
  }
  std::string svg = RenderLevelChartSvg(runs);
  EXPECT_EQ(Count(svg, "data-run=\""), 100u) << "one mark per run drawn, no more";
  EXPECT_EQ(svg.find("data-run=\"50\""), std::string::npos);
}

TEST(LevelChartTest, CiErrorsSitInTheirOwnLaneAndBreakTheBranchLine) {
  ChartLayout l = LayoutLevelChart(
      {Mark(1, 0, 4), Mark(2, 0, 5), Mark(3, 0, std::nullopt), Mark(4, 5, std::nullopt),
       Mark(5, 0, 5), Mark(6, 0, 6)});
  ASSERT_EQ(l.marks.size(), 6u);
  EXPECT_TRUE(l.marks[2].error);
  EXPECT_DOUBLE_EQ(l.marks[2].y, l.error_y);
  EXPECT_GT(l.error_y, l.bottom) << "under level 0";
  EXPECT_EQ(l.marks[2].color, "#9f9f9f");
  EXPECT_TRUE(l.marks[3].error && l.marks[3].pr);
  ASSERT_EQ(l.branch_lines.size(), 2u);
  EXPECT_EQ(l.branch_lines[0].back().first, l.marks[1].x);
  EXPECT_EQ(l.branch_lines[1].front().first, l.marks[4].x);
}

TEST(LevelChartTest, SvgLinksEveryMarkAndPassesTheCsp) {
  std::vector<ChartRun> runs = {Mark(7, 0, 3), Mark(8, 2, 4), Mark(9, 0, std::nullopt)};
  runs[1].label = "<script>alert(1)</script> PR #2";
  std::string svg = RenderLevelChartSvg(runs, "/runs/");
  EXPECT_NE(svg.find("<a href=\"/runs/7\"><circle data-run=\"7\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("<a href=\"/runs/8\"><path data-run=\"8\""), std::string::npos)
      << "a PR run is a diamond";
  EXPECT_NE(svg.find("<a href=\"/runs/9\"><circle data-run=\"9\""), std::string::npos);
  EXPECT_NE(svg.find("<title>&lt;script&gt;alert(1)&lt;/script&gt; PR #2</title>"),
            std::string::npos);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_EQ(svg.find("style="), std::string::npos) << "style-src 'self' forbids it";
  EXPECT_FALSE(std::regex_search(svg, std::regex(" on[a-z]+="))) << "no event handler attribute";
  for (const char* tick : {">0</text>", ">8</text>", ">err</text>", ">level</text>", ">#9</text>"}) {
    EXPECT_NE(svg.find(tick), std::string::npos) << tick;
  }
}

}  // namespace
}  // namespace ccci::render
