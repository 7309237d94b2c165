#pragma once
// A matched route: its label in ccci_http_requests_total and how it answers. Each route
// module (badges, dashboard, stage logs, API) matches its own paths; the router
// (bot/http/router.h) tries them in turn, answers 404 and 405, decodes the query and counts
// every answer.

#include <functional>

#include "bot/http/http_message.h"

namespace ccci {

struct Route {
  const char* label = nullptr;                       // null: the path is not this module's
  std::function<HttpResponse(HttpRequest&)> handle;  // may take the body
  bool get_only = true;                              // other methods than GET and HEAD get 405
  // Instead of `handle`, for a route that answers later (FrontHandler::Start).
  std::function<void(HttpRequest&, Respond)> start{};

  explicit operator bool() const { return label != nullptr; }
};

}  // namespace ccci
