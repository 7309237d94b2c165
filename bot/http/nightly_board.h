#pragma once
// The recipe health board: GET /nightly (HTML) and GET /api/nightly (JSON), every recipe's
// level in the newest nightly pass and the one before, the trend between them and links to
// both runs. One store query per request, at most kNightlyBoardLimit recipes.

#include <string_view>

#include "bot/http/route.h"

namespace ccci {

struct HttpServices;

inline constexpr int kNightlyBoardLimit = 500;

// The route for `path` if it is /nightly or /api/nightly, else none. `services` must outlive
// it; without services->nightly both answer 503.
Route MatchNightlyRoute(std::string_view path, const HttpServices* services);

}  // namespace ccci
