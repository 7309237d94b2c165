#include "domain/routes.h"

#include "base/url_escape.h"

namespace ccci::routes {

std::string Run(int64_t run_id) { return std::string(kRuns) + std::to_string(run_id); }

std::string RunBadge(int64_t run_id) { return Run(run_id) + "/badge.svg"; }

std::string RunCard(int64_t run_id) { return Run(run_id) + "/card.png"; }

std::string RunScreenshot(int64_t run_id) { return Run(run_id) + "/screenshot.png"; }

std::string StageLog(int64_t run_id, std::string_view stage, int attempt) {
  // ':' and '@' stay as they are, as Poco::URI::encode kept them before this file existed.
  std::string retry = attempt > 1 ? "." + std::to_string(attempt - 1) : "";
  return Run(run_id) + "/logs/" + PercentEncode(stage, ":@") + retry;
}

std::string RecipeBadge(std::string_view repo, std::string_view ext) {
  return std::string(kBadge) + std::string(repo) + "." + std::string(ext);
}

std::string HistoryBadge(std::string_view repo) {
  return std::string(kBadge) + std::string(repo) + "/history.svg";
}

std::string PrBadge(std::string_view repo, int64_t pr) {
  return std::string(kBadge) + std::string(repo) + "/pulls/" + std::to_string(pr) + ".svg";
}

std::string ApiRun(int64_t run_id) { return std::string(kApiRuns) + "/" + std::to_string(run_id); }

std::string Recipe(std::string_view repo) { return std::string(kRecipes) + std::string(repo); }

std::string RecipeBadges(std::string_view repo) { return std::string(kBadges) + std::string(repo); }

}  // namespace ccci::routes
