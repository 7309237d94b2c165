#include "bot/http/recipe_api.h"

#include <algorithm>
#include <string>

#include "bot/http/api_json.h"
#include "bot/http/dashboard.h"
#include "bot/http/server.h"
#include "domain/routes.h"

namespace ccci {
namespace {

HttpResponse ServeRecipeHistory(const std::string& repo, const HttpServices* s) {
  Result<std::vector<Run>> runs = Unavailable("this server keeps no history");
  Result<std::vector<StageFlakiness>> flaky = runs.status();
  if (s->history) {
    runs = s->history->EndedRuns(repo, 0, 0, kHistoryWindow);
    flaky = s->history->FlakyStages(repo, kHistoryWindow);
  }
  if (!runs.ok() || !flaky.ok()) {
    Status why = runs.ok() ? flaky.status() : runs.status();
    return BodyResponse(HttpStatusFor(why.code()), "application/json", ErrorJson(why.message()));
  }
  std::reverse(runs->begin(), runs->end());  // oldest first
  return BodyResponse(200, "application/json", RecipeHistoryJson(repo, *runs, *flaky));
}

}  // namespace

Route MatchRecipeApiRoute(std::string_view path, const HttpServices* services) {
  if (path.substr(0, routes::kApiRecipes.size()) != routes::kApiRecipes) return {};
  std::string repo(path.substr(routes::kApiRecipes.size()));
  if (!ValidRepo(repo)) return {};
  return {"api_recipes",
          [repo, services](HttpRequest&) { return ServeRecipeHistory(repo, services); }};
}

}  // namespace ccci
