#pragma once
// The dashboard's HTML pages, rendered with kainjow mustache from templates/ (embedded in the
// binary). Every value is HTML-escaped by the templates ({{x}}); pages work without
// JavaScript. The views are plain values: the bot fills them from its store.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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
};

// "level 3", "ci error", or the state ("queued", "running", ...).
std::string ResultText(const RunView& run);

std::string RenderRunListPage(const std::vector<RunView>& runs, const std::string& next_url,
                              const std::string& version);
std::string RenderRunPage(const RunView& run, const std::string& version);
std::string RenderRecipePage(const std::string& repo, const std::vector<RunView>& runs,
                             const std::string& version);
// `base_url` prefixes the copyable URLs; `prs` are the PR numbers to list badges for.
std::string RenderBadgesPage(const std::string& repo, const std::string& base_url,
                             const std::vector<int64_t>& prs, const std::string& version);

// The sticky PR comment (Markdown), from templates/pr_comment.md.mustache.
struct PrCommentView {
  std::string recipe;
  int64_t run_id = 0;
  std::string state;  // queued | waiting | running | finished | error | cancelled
  std::string sha;
  std::string result;  // "level 3", "ci error", ...
  std::string stage;   // the running stage, if any
  std::string run_url, badge_url, card_url;
  struct Stage {
    std::string name, status, reason, duration;
  };
  std::vector<Stage> stages;
};
std::string RenderPrComment(const PrCommentView& view);

// The dashboard's stylesheet (assets/style.css).
std::string_view StyleSheet();

}  // namespace ccci::render
