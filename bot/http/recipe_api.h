#pragma once
// GET /api/recipes/{owner}/{repo}: a recipe's history as JSON (RecipeHistoryJson in
// bot/http/api_json.h), what its pictures and the recipe page show.

#include <string_view>

#include "bot/http/route.h"

namespace ccci {

struct HttpServices;

// The route for `path` if it is /api/recipes/{owner}/{repo}, else none. `services` must
// outlive it.
Route MatchRecipeApiRoute(std::string_view path, const HttpServices* services);

}  // namespace ccci
