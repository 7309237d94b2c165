#include "renderer/pages.h"

#include <kainjow/mustache.hpp>

#include <map>
#include <memory>
#include <string_view>

#include "base/incbin.h"

CCCI_INCBIN(ccci_tpl_layout, CCCI_SOURCE_ROOT "/templates/layout.mustache")
CCCI_INCBIN(ccci_tpl_runs, CCCI_SOURCE_ROOT "/templates/runs.mustache")
CCCI_INCBIN(ccci_tpl_run, CCCI_SOURCE_ROOT "/templates/run.mustache")
CCCI_INCBIN(ccci_tpl_recipe, CCCI_SOURCE_ROOT "/templates/recipe.mustache")
CCCI_INCBIN(ccci_tpl_badges, CCCI_SOURCE_ROOT "/templates/badges.mustache")
CCCI_INCBIN(ccci_tpl_pr_comment, CCCI_SOURCE_ROOT "/templates/pr_comment.md.mustache")
CCCI_INCBIN(ccci_style_css, CCCI_SOURCE_ROOT "/assets/style.css")

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

std::string Page(const std::string& title, const std::string& body, const std::string& version) {
  data d;
  d.set("title", title);
  d.set("body", body);
  d.set("version", version);
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

data RunData(const RunView& r) {
  data d;
  d.set("id", std::to_string(r.id));
  d.set("repo", r.repo);
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
  SetIf(d, "started", r.started);
  SetIf(d, "finished", r.finished);
  d.set("result", ResultText(r));
  bool active = r.state == "queued" || r.state == "running" || r.state == "waiting";
  d.set("level_class", r.level ? std::to_string(*r.level) : active ? "active" : "none");
  d.set("bar", std::to_string(r.level ? 10 + *r.level * 18 : 6));
  return d;
}

}  // namespace

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

std::string RenderRunPage(const RunView& run, const std::string& version) {
  return Page("Run #" + std::to_string(run.id),
              Template(ccci_tpl_run, ccci_tpl_run_end).render(RunData(run)), version);
}

std::string RenderRecipePage(const std::string& repo, const std::vector<RunView>& runs,
                             const std::string& version) {
  data d;
  d.set("repo", repo);
  data list{data::type::list};
  for (const RunView& r : runs) list.push_back(RunData(r));
  d.set("runs", list);
  d.set("empty", data(runs.empty()));
  return Page(repo, Template(ccci_tpl_recipe, ccci_tpl_recipe_end).render(d), version);
}

std::string RenderBadgesPage(const std::string& repo, const std::string& base_url,
                             const std::vector<int64_t>& prs, const std::string& version) {
  data d;
  d.set("repo", repo);
  d.set("base", base_url);
  data list{data::type::list};
  auto add = [&](const std::string& what, const std::string& path) {
    data b;
    b.set("what", what);
    b.set("path", path);
    b.set("base", base_url);
    b.set("repo", repo);
    list.push_back(b);
  };
  add("Default branch (SVG)", "/badge/" + repo + ".svg");
  add("Default branch (PNG)", "/badge/" + repo + ".png");
  for (int64_t pr : prs) add("PR #" + std::to_string(pr), "/badge/" + repo + "/pulls/" + std::to_string(pr) + ".svg");
  d.set("badges", list);
  return Page("Badges for " + repo, Template(ccci_tpl_badges, ccci_tpl_badges_end).render(d), version);
}

// A Markdown table cell: a '|' would end the cell, a newline the row.
static std::string TableCell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n' || c == '\r') out += ' ';
    else out.push_back(c);
  }
  return out;
}

std::string RenderPrComment(const PrCommentView& v) {
  data d;
  d.set("recipe", v.recipe);
  d.set("run_id", std::to_string(v.run_id));
  d.set("short_sha", v.sha.substr(0, 7));
  d.set("result", v.result);
  SetIf(d, "stage", v.stage);
  SetIf(d, "run_url", v.run_url);
  SetIf(d, "badge_url", v.badge_url);
  SetIf(d, "card_url", v.card_url);
  bool queued = v.state == "queued" || v.state == "waiting";
  d.set("queued", data(queued));
  d.set("running", data(v.state == "running"));
  d.set("done", data(!queued && v.state != "running"));
  data list{data::type::list};
  for (const auto& s : v.stages) {
    data row;
    row.set("name", TableCell(s.name));
    row.set("status", s.status);
    SetIf(row, "reason", TableCell(s.reason));
    row.set("duration", s.duration);
    list.push_back(row);
  }
  d.set("stages", list);
  d.set("has_stages", data(!v.stages.empty()));
  return Template(ccci_tpl_pr_comment, ccci_tpl_pr_comment_end).render(d);
}

std::string_view StyleSheet() {
  return {ccci_style_css, static_cast<size_t>(ccci_style_css_end - ccci_style_css)};
}

}  // namespace ccci::render
