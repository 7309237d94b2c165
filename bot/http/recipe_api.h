#pragma once
// GET /api/recipes/{owner}/{repo}: a recipe's history as JSON (RecipeHistoryJson in
// bot/http/api_json.h), what its pictures and the recipe page show.

#include <string>

namespace Poco::Net {
class HTTPRequestHandler;
}

namespace ccci {

struct HttpServices;

// A handler for `path` if it is /api/recipes/{owner}/{repo}, else nullptr. `services` must
// outlive it.
Poco::Net::HTTPRequestHandler* MakeRecipeApiHandler(const std::string& path,
                                                    const HttpServices* services);

}  // namespace ccci
