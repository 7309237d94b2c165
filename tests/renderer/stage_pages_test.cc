// The run page's stage table and level ladder, the log page, and the PR comment's stages.
#include <gtest/gtest.h>

#include "renderer/pages.h"

namespace ccci::render {
namespace {

constexpr const char* kEvil = "<img src=x onerror=alert(1)>|x\ny";

StageView Stage(const std::string& name, domain::StageStatus status, int64_t ms,
                const std::string& reason = "", std::optional<int> exit_code = std::nullopt) {
  StageView v;
  v.result.name = name;
  v.result.status = status;
  v.result.duration_ms = ms;
  v.result.reason = reason;
  if (exit_code) {
    v.result.exit_code = *exit_code;
    v.has_exit_code = true;
  }
  v.started = "2026-11-25T08:00:00.000Z";
  v.log_url = "/runs/9/logs/" + name;
  return v;
}

RunView RunIn(const std::string& state) {
  RunView r;
  r.id = 9;
  r.repo = "coop-cloud/bonfire";
  r.pr = 3;
  r.sha = "0123456789abcdef0123456789abcdef01234567";
  // Not one-character strings: GCC 12 at -O3 (Release) warns a false -Wrestrict on assigning
  // a one-character literal to a std::string (GCC bug 105329).
  r.title = "title";
  r.author = "author";
  r.state = state;
  r.trigger = "opened";
  r.created = "2026-11-25T08:00:00.000Z";
  return r;
}

// The text between the first `from` after `start` and the next `to`.
std::string Between(const std::string& s, const std::string& from, const std::string& to,
                    size_t start = 0) {
  size_t a = s.find(from, start);
  if (a == std::string::npos) return "";
  a += from.size();
  size_t b = s.find(to, a);
  return s.substr(a, b == std::string::npos ? std::string::npos : b - a);
}

TEST(RunPageTest, StageTableWithStatusReasonDurationExitCodeAndLogLinks) {
  RunView run = RunIn("finished");
  run.level = 1;
  std::vector<StageView> stages = {
      Stage("install", domain::StageStatus::kPass, 4200, "", 0),
      Stage("upgrade", domain::StageStatus::kFail, 65000, "rolled back to 1.0.2", 1),
      Stage("lint", domain::StageStatus::kPass, 800, "", 0),
  };
  stages[2].log_url = "";  // a stage without a log gets no link
  std::string html = RenderRunPage(run, stages, "v1");
  std::string table = Between(html, "<table class=\"stages\">", "</table>");
  ASSERT_FALSE(table.empty()) << html;
  std::string upgrade = Between(table, "<tr class=\"stage-fail\">", "</tr>");
  EXPECT_NE(upgrade.find(">upgrade<"), std::string::npos) << upgrade;
  EXPECT_NE(upgrade.find("status-fail"), std::string::npos);
  EXPECT_NE(upgrade.find("\u2718</span> fail"), std::string::npos);
  EXPECT_NE(upgrade.find("rolled back to 1.0.2"), std::string::npos);
  EXPECT_NE(upgrade.find("1 min 5 s"), std::string::npos);
  EXPECT_NE(upgrade.find("<code>1</code>"), std::string::npos);
  EXPECT_NE(upgrade.find("href=\"/runs/9/logs/upgrade\""), std::string::npos);
  EXPECT_NE(table.find("4.2 s"), std::string::npos);
  EXPECT_EQ(table.find("/runs/9/logs/lint"), std::string::npos);
  // A finished run's page does not refresh itself.
  EXPECT_EQ(html.find("http-equiv=\"refresh\""), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
}

TEST(RunPageTest, LadderShowsEveryRungAndWhatCounts) {
  std::vector<StageView> stages = {
      Stage("install", domain::StageStatus::kPass, 1),
      Stage("upgrade", domain::StageStatus::kSkip, 0, "no previous release"),
      Stage("backup", domain::StageStatus::kFail, 1, "409 Conflict"),
      Stage("restore", domain::StageStatus::kPass, 1),
      Stage("lint", domain::StageStatus::kPass, 1)};
  std::string html = RenderRunPage(RunIn("finished"), stages, "v1");
  std::string ladder = Between(html, "<ol class=\"ladder\">", "</ol>");
  ASSERT_FALSE(ladder.empty());
  // The <li> of the rung labelled `label`.
  auto rung = [&](const std::string& label) {
    size_t at = ladder.find("<span class=\"rung-name\">" + label + "</span>");
    if (at == std::string::npos) return std::string();
    size_t li = ladder.rfind("<li", at);
    return ladder.substr(li, ladder.find("</li>", at) - li);
  };
  EXPECT_NE(rung("1 install").find("counted"), std::string::npos);
  EXPECT_NE(rung("2 upgrade").find("status-skip counted"), std::string::npos);
  EXPECT_NE(rung("2 upgrade").find("no previous release"), std::string::npos);
  std::string backup = rung("3 backup+restore");
  EXPECT_NE(backup.find("status-fail\""), std::string::npos) << backup;
  EXPECT_NE(backup.find("409 Conflict"), std::string::npos);
  std::string functional = rung("4 functional");
  EXPECT_NE(functional.find("not run"), std::string::npos) << functional;
  std::string lint = rung("5 lint");
  EXPECT_NE(lint.find("not counted"), std::string::npos)
      << "a pass above a failed rung is shown, not counted";
  EXPECT_EQ(lint.find("counted-mark"), std::string::npos);
}

// A flaky stage: its own status and icon, counted on the ladder, and both attempts' logs.
TEST(RunPageTest, AFlakyStageLinksBothAttemptsAndCounts) {
  RunView run = RunIn("finished");
  run.level = 3;
  std::vector<StageView> stages = {
      Stage("install", domain::StageStatus::kPass, 1),
      Stage("upgrade", domain::StageStatus::kPass, 1),
      Stage("backup", domain::StageStatus::kFlaky, 1, "failed, then passed"),
      Stage("restore", domain::StageStatus::kPass, 1)};
  stages[2].retry_log_url = "/runs/9/logs/backup.1";
  std::string html = RenderRunPage(run, stages, "v1");
  std::string row = Between(html, "<tr class=\"stage-flaky\">", "</tr>");
  ASSERT_FALSE(row.empty()) << html;
  EXPECT_NE(row.find("status-flaky"), std::string::npos);
  EXPECT_NE(row.find("\u21bb</span> flaky"), std::string::npos) << row;
  EXPECT_NE(row.find("<a href=\"/runs/9/logs/backup\">1st attempt</a> · "
                     "<a href=\"/runs/9/logs/backup.1\">retry</a>"),
            std::string::npos)
      << row;
  EXPECT_NE(Between(html, "<ol class=\"ladder\">", "</ol>")
                .find("<li class=\"rung status-flaky counted\">"),
            std::string::npos)
      << "a flaky rung counts";
}

TEST(RecipePageTest, ShowsTheLevelChartAndEachStagesFlakyRate) {
  RunView r = RunIn("finished");
  r.level = 4;
  RecipeHistoryView h;
  h.chart = {{9, 3, 4, "#9 PR #3: level 4"}};
  h.flaky = {{"install", 0, 30}, {"backup", 3, 28}};
  std::string html = RenderRecipePage("coop-cloud/bonfire", {r}, "v1", h);
  EXPECT_NE(html.find("<figure class=\"chart\"><svg class=\"level-chart\""), std::string::npos);
  EXPECT_NE(html.find("data-run=\"9\""), std::string::npos);
  std::string table = Between(html, "<table class=\"flaky\">", "</table>");
  EXPECT_NE(table.find("<tr><td>install</td><td>0 of 30 runs</td><td>0%</td></tr>"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("<tr class=\"status-flaky\"><td>backup</td><td>3 of 28 runs</td>"
                       "<td>11%</td></tr>"),
            std::string::npos)
      << table;
  EXPECT_EQ(RenderRecipePage("coop-cloud/bonfire", {r}, "v1").find("class=\"flaky\""),
            std::string::npos)
      << "no table without flaky counts";
}

TEST(RunPageTest, InstallErrorIsCiErrorNotLevelZero) {
  std::string html =
      RenderRunPage(RunIn("error"),
                    {Stage("install", domain::StageStatus::kError, 5,
                           "abra not found on PATH: install abra or set runner.abra")},
                    "v1");
  // It said "cc-ci itself broke during install" for a host without abra.
  EXPECT_NE(html.find("CI error: abra not found on PATH: install abra or set runner.abra. A "
                      "problem of the CI host, not of the recipe"),
            std::string::npos)
      << html;
  EXPECT_EQ(html.find("itself broke"), std::string::npos);
  EXPECT_EQ(html.find("counted-mark"), std::string::npos);
}

// The run page did not link to Gitea, and its times were raw ISO strings.
TEST(RunPageTest, LinksThePrAndCommitOnGiteaAndShowsReadableTimes) {
  RunView run = RunIn("finished");
  run.level = 3;
  run.ref = "bump/1.2";
  run.forge_url = "https://git.example";
  std::string html = RenderRunPage(run, {}, "v1");
  std::string intro = Between(html, "<p class=\"intro\">", "</p>");
  EXPECT_NE(intro.find("<a href=\"https://git.example/coop-cloud/bonfire/pulls/3\">PR #3</a>"),
            std::string::npos)
      << intro;
  EXPECT_NE(intro.find("<a href=\"https://git.example/coop-cloud/bonfire/commit/"
                       "0123456789abcdef0123456789abcdef01234567\">"),
            std::string::npos)
      << intro;
  EXPECT_EQ(intro.find("/src/branch/"), std::string::npos) << "a PR's branch may be a fork's";
  EXPECT_NE(html.find("<time datetime=\"2026-11-25T08:00:00.000Z\">2026-11-25 08:00:00 UTC</time>"),
            std::string::npos)
      << html;

  run.pr = 0;
  run.ref = "main";
  intro = Between(RenderRunPage(run, {}, "v1"), "<p class=\"intro\">", "</p>");
  EXPECT_NE(intro.find("(<a href=\"https://git.example/coop-cloud/bonfire/src/branch/main\">main</a>)"),
            std::string::npos)
      << intro;

  run.forge_url.clear();  // no gitea.url: no links, and no broken ones
  intro = Between(RenderRunPage(run, {}, "v1"), "<p class=\"intro\">", "</p>");
  EXPECT_EQ(intro.find("https://"), std::string::npos) << intro;
}

// The recipe page showed an "unknown" badge next to a level-5 PR run, unexplained.
TEST(RecipePageTest, SaysWhenTheDefaultBranchHasNoRunYet) {
  RunView pr_run = RunIn("finished");
  pr_run.level = 5;
  std::string html = RenderRecipePage("coop-cloud/bonfire", {pr_run}, "v1");
  EXPECT_NE(html.find("no default-branch run yet"), std::string::npos) << html;
  EXPECT_EQ(html.find("<img src=\"/badge/coop-cloud/bonfire.svg\""), std::string::npos) << html;

  RunView branch_run = pr_run;
  branch_run.pr = 0;
  html = RenderRecipePage("coop-cloud/bonfire", {pr_run, branch_run}, "v1");
  EXPECT_EQ(html.find("no default-branch run yet"), std::string::npos);
  EXPECT_NE(html.find("Default branch: <img src=\"/badge/coop-cloud/bonfire.svg\""),
            std::string::npos)
      << html;
}

// A cancelled run looked like a running one, and waiting like running too.
// A cancelled run looked like a running one. The chart shows only ended runs; the run
// table gives each state without a level its own colour (DESIGN.md).
TEST(RecipePageTest, EachStateWithoutALevelHasItsOwnLook) {
  std::vector<RunView> runs;
  for (const char* state : {"running", "waiting", "cancelled", "superseded"}) {
    runs.push_back(RunIn(state));
  }
  std::string html = RenderRecipePage("coop-cloud/bonfire", runs, "v1");
  std::string table = Between(html, "<table class=\"runs\">", "</table>");
  for (const char* state : {"running", "waiting", "cancelled", "superseded"}) {
    EXPECT_NE(table.find(std::string("<tr class=\"state-") + state + "\">"), std::string::npos)
        << state << ": " << table;
  }
  std::string css(StyleSheet());
  EXPECT_NE(css.find(".state-queued, .state-running { color: #007ec6; }"), std::string::npos);
  EXPECT_NE(css.find(".state-waiting { color: #6f42c1; }"), std::string::npos);
  EXPECT_NE(css.find(".state-cancelled, .state-superseded { color: #6a737d; }"),
            std::string::npos);
}

TEST(RunPageTest, RunningRunNamesItsStageAndRefreshes) {
  RunView run = RunIn("running");
  run.stage = "upgrade";
  std::vector<StageView> stages = {Stage("install", domain::StageStatus::kPass, 4200),
                                   Stage("upgrade", domain::StageStatus::kRunning, 90000)};
  std::string html = RenderRunPage(run, stages, "v1");
  std::string now = Between(html, "<p class=\"now\"", "</p>");
  EXPECT_NE(now.find("<strong>upgrade</strong>"), std::string::npos) << now;
  EXPECT_NE(now.find("1 min 30 s so far"), std::string::npos);
  EXPECT_NE(now.find("href=\"/runs/9/logs/upgrade\""), std::string::npos);
  EXPECT_NE(html.find("<meta http-equiv=\"refresh\" content=\"10\">"), std::string::npos);
  EXPECT_EQ(html.find("<noscript>"), std::string::npos);
}

TEST(RunPageTest, PayloadStringsInStagesAreEscaped) {
  RunView run = RunIn("running");
  run.stage = kEvil;
  std::vector<StageView> stages = {Stage(kEvil, domain::StageStatus::kRunning, 1, kEvil)};
  stages[0].log_url = "/runs/9/logs/%3Cimg";
  std::string html = RenderRunPage(run, stages, "v1");
  EXPECT_EQ(html.find("<img src=x"), std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
}

TEST(LogPageTest, RunningStageIsLiveWithAScriptAndRefreshesWithoutOne) {
  LogView v;
  v.run_id = 9;
  v.repo = "coop-cloud/bonfire";
  v.stage = "install";
  v.status = domain::StageStatus::kRunning;
  v.log_html = "<span class=\"ansi-fg1\">x</span>\n";
  v.partial_html = "50%";
  v.sgr = "1;31";
  v.offset = 123;
  v.raw_url = "/runs/9/logs/install.txt";
  v.events_url = "/runs/9/logs/install/events";
  std::string html = RenderLogPage(v, "v1");
  EXPECT_NE(html.find("<script src=\"/assets/log.js\" defer></script>"), std::string::npos);
  EXPECT_NE(html.find("<noscript><meta http-equiv=\"refresh\" content=\"5\"></noscript>"),
            std::string::npos);
  std::string pre = Between(html, "<pre class=\"log\" id=\"log\"", "</pre>");
  EXPECT_NE(pre.find("data-events=\"/runs/9/logs/install/events\""), std::string::npos) << pre;
  EXPECT_NE(pre.find("data-offset=\"123\""), std::string::npos);
  EXPECT_NE(pre.find("data-sgr=\"1;31\""), std::string::npos);
  EXPECT_NE(
      pre.find(
          "><span class=\"ansi-fg1\">x</span>\n<span class=\"partial\" id=\"partial\">50%</span>"),
      std::string::npos);
  EXPECT_NE(html.find("href=\"/runs/9/logs/install.txt\""), std::string::npos);
}

TEST(LogPageTest, FinishedStageIsStatic) {
  LogView v;
  v.run_id = 9;
  v.stage = "lint";
  v.status = domain::StageStatus::kFail;
  v.reason = kEvil;
  v.log_html = "done\n";
  v.raw_url = "/runs/9/logs/lint.txt";
  std::string html = RenderLogPage(v, "v1");
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("refresh"), std::string::npos);
  EXPECT_EQ(html.find("data-events"), std::string::npos);
  EXPECT_EQ(html.find("<img src=x"), std::string::npos);
  EXPECT_NE(html.find("\u2718</span> fail"), std::string::npos);
}

PrCommentView Comment(const std::string& state) {
  PrCommentView v;
  v.recipe = "bonfire";
  v.run_id = 9;
  v.state = state;
  v.sha = "0123456789abcdef";
  v.run_url = "https://ci.example/runs/9";
  return v;
}

TEST(PrCommentStagesTest, RunningCommentShowsTheStageTableAndTheLiveLog) {
  PrCommentView v = Comment("running");
  v.stage = "upgrade";
  v.stage_log_url = "https://ci.example/runs/9/logs/upgrade";
  v.stages = {{"install", "pass", "", "4.2 s", "https://ci.example/runs/9/logs/install"},
              {"upgrade", "running", "", "", "https://ci.example/runs/9/logs/upgrade"}};
  std::string md = RenderPrComment(v);
  EXPECT_NE(md.find("is **running** on `0123456`: upgrade ([live "
                    "log](https://ci.example/runs/9/logs/upgrade))."),
            std::string::npos)
      << md;
  EXPECT_NE(
      md.find("| stage | result | time |\n|---|---|---|\n"
              "| [install](https://ci.example/runs/9/logs/install) | \u2705 pass | 4.2 s |\n"
              "| [upgrade](https://ci.example/runs/9/logs/upgrade) | \U0001f504 running |  |\n"),
      std::string::npos)
      << md;
  EXPECT_NE(md.find("`!cc-ci retest`"), std::string::npos);
}

TEST(PrCommentStagesTest, FinishedCommentEscapesCellsAndKeepsEveryRow) {
  PrCommentView v = Comment("finished");
  v.result = "level 1";
  v.stages = {{"install", "pass", "", "4.2 s", ""},
              {"upgrade", "skip", "no previous release", "0.0 s", ""},
              {"lint", "fail", "rule R014 | failed\nsecond line", "0.8 s", ""}};
  std::string md = RenderPrComment(v);
  EXPECT_NE(md.find("on `0123456`: **level 1**."), std::string::npos) << md;
  EXPECT_NE(md.find("| install | \u2705 pass | 4.2 s |\n"), std::string::npos) << md;
  EXPECT_NE(md.find("| upgrade | \u23ed\ufe0f skip: no previous release | 0.0 s |\n"),
            std::string::npos);
  EXPECT_NE(md.find("| lint | \u274c fail: rule R014 \\| failed second line | 0.8 s |\n"),
            std::string::npos);
  EXPECT_EQ(md.find("live log"), std::string::npos);
}

}  // namespace
}  // namespace ccci::render
