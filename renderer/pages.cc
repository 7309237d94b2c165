#include "renderer/pages.h"

#include <kainjow/mustache.hpp>
#include <map>
#include <memory>
#include <string_view>

#include "base/incbin.h"
#include "base/url_escape.h"
#include "domain/level.h"
#include "domain/routes.h"
#include "renderer/card.h"
#include "renderer/status_look.h"

CCCI_INCBIN(ccci_tpl_layout, CCCI_SOURCE_ROOT "/templates/layout.mustache")
CCCI_INCBIN(ccci_tpl_runs, CCCI_SOURCE_ROOT "/templates/runs.mustache")
CCCI_INCBIN(ccci_tpl_run, CCCI_SOURCE_ROOT "/templates/run.mustache")
CCCI_INCBIN(ccci_tpl_log, CCCI_SOURCE_ROOT "/templates/log.mustache")
CCCI_INCBIN(ccci_tpl_recipe, CCCI_SOURCE_ROOT "/templates/recipe.mustache")
CCCI_INCBIN(ccci_tpl_badges, CCCI_SOURCE_ROOT "/templates/badges.mustache")
CCCI_INCBIN(ccci_tpl_pr_comment, CCCI_SOURCE_ROOT "/templates/pr_comment.md.mustache")
CCCI_INCBIN(ccci_style_css, CCCI_SOURCE_ROOT "/assets/style.css")
CCCI_INCBIN(ccci_log_js, CCCI_SOURCE_ROOT "/assets/log.js")

namespace ccci::render {
namespace {

using kainjow::mustache::data;
using kainjow::mustache::mustache;

// Parsed once per thread: kainjow's render is not const, and parsing per request would
// dominate the cost of a page.
mustache& Template(const char* begin, const char* end) {
  thread_local std::map<const char*, std::unique_ptr<mustache>> cache;
  auto& slot = cache[begin];
  if (!slot) slot = std::make_unique<mustache>(std::string(begin, end));
  return *slot;
}

// What a page adds to <head>: a refresh for pages that change (always, or only without
// JavaScript, where a script keeps the page live instead) and a script from /assets.
struct Head {
  int refresh_s = 0;
  bool refresh_only_without_script = false;
  std::string script;
};

std::string Page(const std::string& title, const std::string& body, const std::string& version,
                 const Head& head = {}) {
  data d;
  d.set("title", title);
  d.set("body", body);
  d.set("version", version);
  if (head.refresh_s > 0) {
    d.set(head.refresh_only_without_script ? "noscript_refresh" : "refresh",
          std::to_string(head.refresh_s));
  }
  if (!head.script.empty()) d.set("script", head.script);
  return Template(ccci_tpl_layout, ccci_tpl_layout_end).render(d);
}

// Mustache treats an empty string as true; absent values must be false to hide sections.
void SetIf(data& d, const std::string& key, const std::string& value) {
  if (value.empty()) {
    d.set(key, data(false));
  } else {
    d.set(key, value);
  }
}

// A URL path: '/' separates segments and stays.
std::string UrlPath(const std::string& s) { return PercentEncode(s, "/"); }

data RunData(const RunView& r) {
  data d;
  d.set("id", std::to_string(r.id));
  d.set("repo", r.repo);
  d.set("run_url", routes::Run(r.id));
  d.set("run_badge_url", routes::RunBadge(r.id));
  d.set("card_url", routes::RunCard(r.id));
  d.set("api_url", routes::ApiRun(r.id));
  d.set("recipe_url", routes::Recipe(r.repo));
  d.set("badges_url", routes::RecipeBadges(r.repo));
  if (r.pr > 0) {
    d.set("pr", std::to_string(r.pr));
  } else {
    d.set("pr", data(false));
  }
  d.set("sha", r.sha);
  d.set("short_sha", r.sha.substr(0, 7));
  SetIf(d, "ref", r.ref);
  d.set("title", r.title);
  d.set("author", r.author);
  d.set("state", r.state);
  SetIf(d, "reason", r.reason);
  d.set("trigger", r.trigger);
  d.set("created", r.created);
  d.set("created_text", ReadableUtc(r.created));
  SetIf(d, "started", r.started);
  SetIf(d, "started_text", ReadableUtc(r.started));
  SetIf(d, "finished", r.finished);
  SetIf(d, "finished_text", ReadableUtc(r.finished));
  d.set("result", ResultText(r));
  std::string repo_url = r.forge_url.empty() ? "" : r.forge_url + "/" + UrlPath(r.repo);
  SetIf(d, "pr_url",
        repo_url.empty() || r.pr <= 0 ? "" : repo_url + "/pulls/" + std::to_string(r.pr));
  SetIf(d, "commit_url",
        repo_url.empty() || r.sha.empty() ? "" : repo_url + "/commit/" + UrlPath(r.sha));
  // A PR's head branch may live in a fork: only a branch run's branch is linked.
  SetIf(d, "branch_url",
        repo_url.empty() || r.pr > 0 || r.ref.empty() ? ""
                                                      : repo_url + "/src/branch/" + UrlPath(r.ref));
  SetIf(d, "stage", r.stage);
  return d;
}

domain::StageStatus StatusOf(const std::string& name) {
  domain::StageStatus s = domain::StageStatus::kPending;
  return domain::ParseStageStatus(name, &s) ? s : domain::StageStatus::kError;
}

data StageData(const StageView& v) {
  const domain::StageResult& r = v.result;
  data d;
  d.set("name", r.name);
  d.set("status", domain::StageStatusName(r.status));
  d.set("icon", StatusIcon(r.status));
  SetIf(d, "reason", r.reason);
  bool running = r.status == domain::StageStatus::kRunning;
  bool timed = r.status != domain::StageStatus::kPending;
  d.set("duration", timed ? FormatDuration(r.duration_ms) + (running ? " so far" : "") : "");
  SetIf(d, "exit_code", v.has_exit_code ? std::to_string(r.exit_code) : "");
  SetIf(d, "started", v.started);
  SetIf(d, "log_url", v.log_url);
  SetIf(d, "retry_log_url", v.retry_log_url);
  SetIf(d, "live_log_url", v.retry_log_url.empty() ? v.log_url : v.retry_log_url);
  return d;
}

// The ladder from the stage records, through the one level function.
data LadderData(const std::vector<StageView>& stages) {
  std::vector<domain::StageResult> results;
  for (const StageView& v : stages) results.push_back(v.result);
  domain::LevelResult level = domain::ComputeLevel(results);
  data d;
  d.set("ci_error", data(level.ci_error));
  // A CI error is the host's or cc-ci's trouble (abra missing, server unreachable): say which.
  d.set("ci_error_reason",
        level.rungs[0].reason.empty() ? "install ended in an error" : level.rungs[0].reason);
  data rungs{data::type::list};
  for (const domain::RungOutcome& r : level.rungs) {
    data x;
    x.set("rung", std::to_string(r.rung));
    x.set("name", r.name);
    domain::StageStatus s = r.present ? r.status : domain::StageStatus::kPending;
    x.set("status", r.present ? domain::StageStatusName(s) : "not run");
    x.set("status_class", domain::StageStatusName(s));
    x.set("icon", StatusIcon(s));
    SetIf(x, "reason", r.reason);
    x.set("counted", data(r.counted));
    bool good = r.present && (s == domain::StageStatus::kPass || s == domain::StageStatus::kFlaky ||
                              s == domain::StageStatus::kSkip);
    SetIf(x, "note",
          good && !r.counted && !level.ci_error ? "not counted: a rung below it did not pass" : "");
    rungs.push_back(x);
  }
  d.set("rungs", rungs);
  return d;
}

}  // namespace

std::string ReadableUtc(const std::string& t) {
  if (t.size() < 19 || t[10] != 'T') return t;
  return t.substr(0, 10) + " " + t.substr(11, 8) + " UTC";
}

std::string ResultText(const RunView& r) {
  if (r.state == "finished" && r.level) return "level " + std::to_string(*r.level);
  if (r.state == "error") return "ci error";
  return r.state;
}

std::string RenderRunListPage(const std::vector<RunView>& runs, const std::string& next_url,
                              const std::string& version) {
  data d;
  d.set("heading", "Runs");
  data list{data::type::list};
  for (const RunView& r : runs) list.push_back(RunData(r));
  d.set("runs", list);
  d.set("empty", data(runs.empty()));
  if (!next_url.empty()) d.set("next", next_url);
  return Page("Runs", Template(ccci_tpl_runs, ccci_tpl_runs_end).render(d), version);
}

std::string RenderRunPage(const RunView& run, const std::vector<StageView>& stages,
                          const std::string& version) {
  data d = RunData(run);
  data list{data::type::list};
  for (const StageView& v : stages) {
    data row = StageData(v);
    if (run.state == "running" && v.result.name == run.stage) d.set("current", row);
    list.push_back(row);
  }
  d.set("stages", list);
  d.set("has_stages", data(!stages.empty()));
  d.set("ladder", LadderData(stages));
  Head head;
  if (run.state == "queued" || run.state == "running") head.refresh_s = 10;
  return Page("Run #" + std::to_string(run.id), Template(ccci_tpl_run, ccci_tpl_run_end).render(d),
              version, head);
}

std::string RenderLogPage(const LogView& v, const std::string& version) {
  PageParts parts = RenderLogPageParts(v, version);
  return parts.before + v.log_html + parts.after;
}

PageParts RenderLogPageParts(const LogView& v, const std::string& version) {
  // Rendered once with a marker in the log's place. No other value can contain it: every
  // other string is HTML-escaped ('<' becomes &lt;), and LogHtml output drops control bytes.
  static constexpr std::string_view kMarker = "\x01<log/>\x01";
  data d;
  d.set("run_id", std::to_string(v.run_id));
  d.set("repo", v.repo);
  d.set("run_url", routes::Run(v.run_id));
  d.set("recipe_url", routes::Recipe(v.repo));
  d.set("stage", v.stage);
  d.set("status", domain::StageStatusName(v.status));
  d.set("icon", StatusIcon(v.status));
  SetIf(d, "reason", v.reason);
  d.set("log", std::string(kMarker));
  SetIf(d, "partial", v.partial_html);
  d.set("sgr", v.sgr);
  d.set("offset", std::to_string(v.offset));
  d.set("cut", data(v.cut));
  d.set("missing", data(v.missing));
  d.set("raw_url", v.raw_url);
  SetIf(d, "events_url", v.events_url);
  Head head;
  if (!v.events_url.empty()) {
    head.refresh_s = 5;
    head.refresh_only_without_script = true;
    head.script = "/assets/log.js";
  }
  std::string page = Page(v.stage + " log · run #" + std::to_string(v.run_id),
                          Template(ccci_tpl_log, ccci_tpl_log_end).render(d), version, head);
  size_t at = page.find(kMarker);
  return {page.substr(0, at), page.substr(at + kMarker.size())};
}

std::string RenderRecipePage(const std::string& repo, const std::vector<RunView>& runs,
                             const std::string& version, const RecipeHistoryView& history) {
  data d;
  d.set("repo", repo);
  d.set("recipe_badge_path", routes::RecipeBadge(repo, "svg"));
  d.set("badges_url", routes::RecipeBadges(repo));
  d.set("chart", RenderLevelChartSvg(history.chart));
  d.set("window", std::to_string(history.window));
  data flaky{data::type::list};
  for (const StageFlakyView& f : history.flaky) {
    data row;
    row.set("stage", f.stage);
    row.set("flaky", std::to_string(f.flaky));
    row.set("ran", std::to_string(f.ran));
    row.set("rate", std::to_string(f.ran > 0 ? (f.flaky * 100 + f.ran / 2) / f.ran : 0) + "%");
    row.set("any", data(f.flaky > 0));
    flaky.push_back(row);
  }
  d.set("flaky", flaky);
  d.set("has_flaky", data(!history.flaky.empty()));
  data list{data::type::list};
  bool branch_run = false;
  for (const RunView& r : runs) {
    list.push_back(RunData(r));
    branch_run = branch_run || r.pr == 0;
  }
  d.set("runs", list);
  d.set("empty", data(runs.empty()));
  // The repo badge is the default branch's: with only PR runs it says "unknown".
  d.set("no_branch_run", data(!branch_run && runs.size() < kRecipePageRuns));
  return Page(repo, Template(ccci_tpl_recipe, ccci_tpl_recipe_end).render(d), version);
}

std::string RenderBadgesPage(const std::string& repo, const std::string& base_url,
                             const std::vector<int64_t>& prs, const std::string& version) {
  data d;
  d.set("repo", repo);
  d.set("base", base_url);
  d.set("json_path", routes::RecipeBadge(repo, "json"));
  data list{data::type::list};
  auto add = [&](const std::string& what, const std::string& path) {
    data b;
    b.set("what", what);
    b.set("path", path);
    b.set("base", base_url);
    b.set("recipe_url", routes::Recipe(repo));
    list.push_back(b);
  };
  add("Default branch (SVG)", routes::RecipeBadge(repo, "svg"));
  add("Default branch (PNG)", routes::RecipeBadge(repo, "png"));
  add("Level history (SVG)", routes::HistoryBadge(repo));
  for (int64_t pr : prs) add("PR #" + std::to_string(pr), routes::PrBadge(repo, pr));
  d.set("badges", list);
  return Page("Badges for " + repo, Template(ccci_tpl_badges, ccci_tpl_badges_end).render(d),
              version);
}

// A Markdown table cell: a '|' would end the cell, a newline the row.
static std::string TableCell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n' || c == '\r')
      out += ' ';
    else
      out.push_back(c);
  }
  return out;
}

// A Markdown code fence no line of `text` can close: one backtick more than its longest run.
static std::string CodeFence(const std::string& text) {
  size_t longest = 0, run = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return std::string(std::max<size_t>(3, longest + 1), '`');
}

std::string RenderPrComment(const PrCommentView& v) {
  data d;
  d.set("recipe", v.recipe);
  if (!v.level_change.empty()) d.set("level_change", v.level_change);
  d.set("run_id", std::to_string(v.run_id));
  d.set("short_sha", v.sha.substr(0, 7));
  d.set("result", v.result);
  SetIf(d, "stage", v.stage);
  SetIf(d, "run_url", v.run_url);
  SetIf(d, "badge_url", v.badge_url);
  SetIf(d, "card_url", v.card_url);
  SetIf(d, "screenshot_url", v.screenshot_url);
  SetIf(d, "stage_log_url", v.stage_log_url);
  bool waiting = v.state == "waiting";
  bool queued = v.state == "queued";
  d.set("queued", data(queued));
  d.set("waiting", data(waiting));
  d.set("running", data(v.state == "running"));
  d.set("done", data(!queued && !waiting && v.state != "running"));
  data list{data::type::list};
  for (const auto& s : v.stages) {
    data row;
    row.set("name", TableCell(s.name));
    row.set("status", s.status);
    row.set("icon", StatusEmoji(StatusOf(s.status)));
    SetIf(row, "reason", TableCell(s.reason));
    row.set("duration", s.duration);
    SetIf(row, "log_url", s.log_url);
    list.push_back(row);
  }
  d.set("stages", list);
  d.set("has_stages", data(!v.stages.empty()));
  data hints{data::type::list};
  for (const auto& h : v.flaky_hints) {
    data row;
    row.set("stage", h.stage);
    row.set("flaky", std::to_string(h.flaky));
    row.set("runs", std::to_string(h.runs));
    hints.push_back(row);
  }
  d.set("flaky_hints", hints);
  if (!v.readme_block.empty()) {
    data readme;
    data scores{data::type::list};
    for (const auto& sc : v.readme_differences) {
      data row;
      row.set("key", TableCell(sc.key));
      row.set("readme", sc.readme.empty() ? "(empty)" : TableCell(sc.readme));
      row.set("measured", TableCell(sc.measured));
      scores.push_back(row);
    }
    readme.set("scores", scores);
    readme.set("fence", CodeFence(v.readme_block));
    readme.set("block", v.readme_block);
    d.set("readme", readme);
  }
  return Template(ccci_tpl_pr_comment, ccci_tpl_pr_comment_end).render(d);
}

std::string_view StyleSheet() {
  return {ccci_style_css, static_cast<size_t>(ccci_style_css_end - ccci_style_css)};
}

std::string_view LogScript() {
  return {ccci_log_js, static_cast<size_t>(ccci_log_js_end - ccci_log_js)};
}

}  // namespace ccci::render
