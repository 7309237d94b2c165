#pragma once
// The dashboard's HTML pages, rendered with kainjow mustache from templates/ (embedded in the
// binary). Every value is HTML-escaped by the templates ({{x}}); pages work without
// JavaScript. The views are plain values: the bot fills them from its store.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/stage.h"
#include "renderer/level_chart.h"

namespace ccci::render {

struct RunView {
  int64_t id = 0;
  std::string repo;
  int64_t pr = 0;
  std::string sha;
  std::string ref;
  std::string title;
  std::string author;
  std::string state;
  std::optional<int> level;
  std::string reason;
  std::string trigger;
  std::string created;  // RFC 3339
  std::string started;
  std::string finished;
  std::string stage;  // the stage a running run is in, "" otherwise
  // Gitea's base URL (gitea.url): the page links the PR, the commit and a branch run's
  // branch there. Empty: no links.
  std::string forge_url;
};

// One row of a run's stage table.
struct StageView {
  domain::StageResult
      result;  // name, status, reason, duration (for a running stage: so far), exit code
  bool has_exit_code = false;
  std::string started;  // RFC 3339, "" if unknown
  std::string log_url;  // "" when the stage has no log
  std::string retry_log_url;  // a retried (e.g. flaky) stage's second attempt; log_url: its first
};

// A stage's log page. The log is rendered by LogHtml (renderer/log_html.h).
struct LogView {
  int64_t run_id = 0;
  std::string repo;
  std::string stage;
  domain::StageStatus status = domain::StageStatus::kPending;
  std::string reason;
  std::string log_html;      // LogHtml::Html() of the bytes shown
  std::string sgr;           // LogHtml::SgrState() after them
  int64_t offset = 0;        // where in the file the bytes of log_html end
  std::string partial_html;  // the unfinished last line of a running stage, after offset
  bool cut = false;          // only the end of a long log is shown
  bool missing = false;      // there is no log file (yet)
  std::string raw_url;
  std::string events_url;  // the live stream (set only while the stage runs)
};

// "level 3", "ci error", or the state ("queued", "running", ...).
std::string ResultText(const RunView& run);

// An RFC 3339 UTC time as people read it: "2026-11-25 08:00:00 UTC" (empty stays empty).
std::string ReadableUtc(const std::string& rfc3339);

std::string RenderRunListPage(const std::vector<RunView>& runs, const std::string& next_url,
                              const std::string& version);
// The run page: facts, the current stage, the level ladder (ComputeLevel over `stages`, per
// rung) and the stage table. While the run is queued or running it refreshes itself.
std::string RenderRunPage(const RunView& run, const std::vector<StageView>& stages,
                          const std::string& version);
// A stage's log. While the stage runs, the page names the live stream for assets/log.js and,
// for browsers without JavaScript, refreshes itself.
std::string RenderLogPage(const LogView& log, const std::string& version);
// A recipe's history besides its run list: the level chart and how often each stage was flaky
// over the default branch's last `window` runs.
struct StageFlakyView {
  std::string stage;
  int64_t flaky = 0;  // runs in which it was flaky
  int64_t ran = 0;    // runs in which it came to a verdict
};
struct RecipeHistoryView {
  std::vector<ChartRun> chart;  // oldest first
  std::vector<StageFlakyView> flaky;
  int window = 30;
};
// The same page around its log: before + log_html + after == RenderLogPage, whatever
// `log.log_html` holds. A long log is then sent as it renders, without the whole page in
// memory.
struct PageParts {
  std::string before, after;
};
PageParts RenderLogPageParts(const LogView& log, const std::string& version);
// `runs` are the newest first, at most kRecipePageRuns of them; fewer means all of them, so
// the page can tell that the default branch has no run yet.
inline constexpr size_t kRecipePageRuns = 100;
std::string RenderRecipePage(const std::string& repo, const std::vector<RunView>& runs,
                             const std::string& version, const RecipeHistoryView& history = {});
// `base_url` prefixes the copyable URLs; `prs` are the PR numbers to list badges for.
std::string RenderBadgesPage(const std::string& repo, const std::string& base_url,
                             const std::vector<int64_t>& prs, const std::string& version);

// The sticky PR comment (Markdown), from templates/pr_comment.md.mustache.
// The /nightly board: per recipe its run in the newest nightly pass and the one before.
struct NightlyBoardView {
  std::string schedule;  // "02:30", "" when nightly runs are off
  std::string pass_id, previous_pass_id;
  struct Row {
    std::string repo;
    std::optional<RunView> tonight, previous;
    std::string trend;  // up | down | same | new | unknown (NightlyTrend)
  };
  std::vector<Row> rows;
  bool truncated = false;
  int limit = 0;
};
// up, down or same when both nights have a level; new when the recipe had no run the night
// before; unknown when either night has no level (queued, running, a CI error).
std::string NightlyTrend(const std::optional<RunView>& tonight,
                         const std::optional<RunView>& previous);
std::string RenderNightlyPage(const NightlyBoardView& board, const std::string& version);

struct PrCommentView {
  std::string recipe;
  int64_t run_id = 0;
  std::string state;  // queued | waiting | running | finished | error | cancelled
  std::string sha;
  std::string result;  // "level 3", "ci error", ...
  std::string level_change;  // against the default branch: "up from 2 on main"; empty: unknown
  std::string stage;   // the running stage, if any
  std::string run_url, badge_url, card_url;
  std::string screenshot_url;  // set once the screenshot stage captured the app
  std::string stage_log_url;  // the running stage's log
  struct Stage {
    std::string name, status, reason, duration, log_url;
  };
  std::vector<Stage> stages;
  // A stage that failed here but was flaky on the default branch `flaky` times in its last
  // `runs` runs: the failure may not be the PR's.
  struct FlakyHint {
    std::string stage;
    int64_t flaky = 0, runs = 0;
  };
  std::vector<FlakyHint> flaky_hints;
  // The README's metadata block as cc-ci measured it, shown when it differs from the README
  // (empty: it does not, or was not measured), and the scores that differ.
  std::string readme_block;
  struct Score {
    std::string key, readme, measured;
  };
  std::vector<Score> readme_differences;
};
std::string RenderPrComment(const PrCommentView& view);

// The dashboard's stylesheet (assets/style.css).
std::string_view StyleSheet();
// The live log script (assets/log.js).
std::string_view LogScript();

}  // namespace ccci::render
