#include "renderer/pages.h"

#include <gtest/gtest.h>

namespace ccci::render {
namespace {

constexpr const char* kEvil = "<script>alert(\"x\")</script>&'";

RunView EvilRun() {
  RunView r;
  r.id = 42;
  r.repo = "coop-cloud/<b>custom-html</b>";
  r.pr = 7;
  r.sha = "0123456789abcdef0123456789abcdef01234567";
  r.ref = kEvil;
  r.title = kEvil;
  r.author = kEvil;
  r.state = "finished";
  r.level = 3;
  r.reason = kEvil;
  r.trigger = "pull_request";
  r.created = "2026-11-25T08:00:00.000Z";
  r.finished = "2026-11-25T08:05:00.000Z";
  return r;
}

// No payload string reaches the page unescaped.
void ExpectEscaped(const std::string& html) {
  EXPECT_EQ(html.find("<script"), std::string::npos) << html;
  EXPECT_EQ(html.find("<b>"), std::string::npos) << html;
  EXPECT_EQ(html.find("alert(\"x\")"), std::string::npos) << html;
}

TEST(PagesTest, ResultText) {
  RunView r;
  r.state = "finished";
  r.level = 0;
  EXPECT_EQ(ResultText(r), "level 0");
  r.state = "error";
  r.level.reset();
  EXPECT_EQ(ResultText(r), "ci error");
  r.state = "running";
  EXPECT_EQ(ResultText(r), "running");
}

TEST(PagesTest, RunPageEscapesEveryPayloadString) {
  std::string html = RenderRunPage(EvilRun(), {}, "v<1>");
  ExpectEscaped(html);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(html.find("level 3"), std::string::npos);
  EXPECT_NE(html.find("/runs/42/card.png"), std::string::npos);
  EXPECT_EQ(html.find("v<1>"), std::string::npos);
}

TEST(PagesTest, ListRecipeAndBadgePagesEscape) {
  std::vector<RunView> runs = {EvilRun(), EvilRun()};
  runs[1].id = 43;
  runs[1].state = "running";
  runs[1].level.reset();
  std::string list = RenderRunListPage(runs, "/runs?before=43&x=<y>", "v1");
  ExpectEscaped(list);
  EXPECT_NE(list.find("/runs/43"), std::string::npos);
  EXPECT_EQ(list.find("<y>"), std::string::npos);
  ExpectEscaped(RenderRecipePage(runs[0].repo, runs, "v1"));
  std::string badges = RenderBadgesPage(runs[0].repo, "https://ci.example\"><x", {7, 9}, "v1");
  ExpectEscaped(badges);
  EXPECT_EQ(badges.find("\"><x"), std::string::npos);
  EXPECT_NE(badges.find("/pulls/9.svg"), std::string::npos);
  EXPECT_NE(badges.find("/history.svg"), std::string::npos) << "the level history to embed";
}

TEST(PagesTest, EmptyRunListSaysSo) {
  std::string html = RenderRunListPage({}, "", "v1");
  EXPECT_NE(html.find("No runs yet"), std::string::npos);
  EXPECT_NE(html.find("<html"), std::string::npos);
}

TEST(PagesTest, PrCommentStatesAndEscaping) {
  PrCommentView v;
  v.recipe = "custom-html";
  v.run_id = 5;
  v.sha = "abcdef0123456";
  v.run_url = "https://ci.example/runs/5";
  v.state = "queued";
  EXPECT_NE(RenderPrComment(v).find("**queued** for `abcdef0`"), std::string::npos);
  v.state = "running";
  v.stage = "install";
  EXPECT_NE(RenderPrComment(v).find("**running** on `abcdef0`: install"), std::string::npos);
  v.state = "finished";
  v.result = "level 4";
  v.stages = {{"lint", "fail", kEvil, "3s", ""}};
  std::string md = RenderPrComment(v);
  EXPECT_NE(md.find("**level 4**"), std::string::npos);
  EXPECT_NE(md.find("| lint | \u274c fail: "), std::string::npos);
  ExpectEscaped(md);
}

// The block as measured, shown when the README says otherwise: in a code fence no line of the
// (recipe-written) block can close, so nothing in it becomes Markdown.
TEST(PagesTest, PrCommentShowsTheReadmeBlockAsMeasured) {
  PrCommentView v;
  v.recipe = "bonfire";
  v.state = "finished";
  v.result = "level 7";
  EXPECT_EQ(RenderPrComment(v).find("README scores"), std::string::npos) << "none when it agrees";
  v.readme_block = "<!-- metadata -->\n* **Healthcheck**: Yes\n* **Email**: ````![x](http://evil)\n"
                   "<!-- endmetadata -->";
  v.readme_differences = {{"Healthcheck", "", "Yes"}, {"Tests", "a|b", "3, cc-ci level 8"}};
  std::string md = RenderPrComment(v);
  EXPECT_NE(md.find("| Healthcheck | (empty) | Yes |"), std::string::npos) << md;
  EXPECT_NE(md.find("| Tests | a\\|b | 3, cc-ci level 8 |"), std::string::npos) << md;
  EXPECT_NE(md.find("\n`````\n<!-- metadata -->\n* **Healthcheck**: Yes\n"), std::string::npos)
      << "the block verbatim, fenced by one backtick more than its longest run: " << md;
  EXPECT_NE(md.find("<!-- endmetadata -->\n`````\n"), std::string::npos) << md;
}

TEST(PagesTest, StyleSheetIsEmbedded) { EXPECT_NE(StyleSheet().find("{"), std::string_view::npos); }

}  // namespace
}  // namespace ccci::render
