#pragma once
// Every path cc-ci's server answers, built here and nowhere else. The reporter's links, the
// pages' links and the front's route matchers all take them from here, so a link and the
// route that serves it cannot drift apart. Paths only: a caller that needs an absolute URL
// (a PR comment, a commit status) puts the public URL before them. The mustache templates get
// their links from here too (renderer/pages.cc sets them as *_url values).

#include <cstdint>
#include <string>
#include <string_view>

namespace ccci::routes {

// Prefixes, for the matchers.
inline constexpr std::string_view kRuns = "/runs/";        // /runs/{id}[/...]
inline constexpr std::string_view kLogs = "/logs/";        // /runs/{id}/logs/{stage}
inline constexpr std::string_view kBadge = "/badge/";      // /badge/{owner}/{repo}...
inline constexpr std::string_view kBadges = "/badges/";    // /badges/{owner}/{repo}
inline constexpr std::string_view kRecipes = "/recipes/";  // /recipes/{owner}/{repo}
inline constexpr std::string_view kApiRuns = "/api/runs";  // the list; + "/{id}": one run
inline constexpr std::string_view kApiRecipes = "/api/recipes/";
inline constexpr std::string_view kApiOutbox = "/api/outbox";

std::string Run(int64_t run_id);            // /runs/{id}
std::string RunBadge(int64_t run_id);       // /runs/{id}/badge.svg
std::string RunCard(int64_t run_id);        // /runs/{id}/card.png
std::string RunScreenshot(int64_t run_id);  // /runs/{id}/screenshot.png
// /runs/{id}/logs/{stage}, the stage percent-encoded; attempt n > 1 (a retry) adds ".{n-1}".
std::string StageLog(int64_t run_id, std::string_view stage, int attempt = 1);
// /badge/{owner}/{repo}.{ext} (svg, png, json): the default branch's badge.
std::string RecipeBadge(std::string_view repo, std::string_view ext);
std::string HistoryBadge(std::string_view repo);         // /badge/{owner}/{repo}/history.svg
std::string PrBadge(std::string_view repo, int64_t pr);  // /badge/{owner}/{repo}/pulls/{n}.svg
std::string ApiRun(int64_t run_id);                      // /api/runs/{id}
std::string Recipe(std::string_view repo);               // /recipes/{owner}/{repo}
std::string RecipeBadges(std::string_view repo);         // /badges/{owner}/{repo}

}  // namespace ccci::routes
