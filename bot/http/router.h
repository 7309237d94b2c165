#pragma once
// Routes the requests the front (bot/http/front.h) read to the route modules (API, badges,
// stage logs, dashboard), in that order. Answers 404 for no route and 405 for a method a
// route does not take, decodes the query (400 with the reason when it is malformed), and
// counts every answer in ccci_http_requests_total, the front's own refusals included.

#include <string>
#include <string_view>

#include "bot/http/api_routes.h"
#include "bot/http/front.h"
#include "bot/http/log_stream.h"
#include "bot/http/server.h"
#include "bot/http/slot_cap.h"
#include "bot/http/stage_logs.h"

namespace ccci {

class Router : public FrontHandler {
 public:
  // The services must outlive the router.
  explicit Router(HttpServices services);

  bool IsPriority(std::string_view path) const override { return path == kHookPath; }
  void Start(HttpRequest& request, Respond respond) override;
  HttpResponse Reject(const HttpRequest& partial, int status, const std::string& reason) override;
  void Dropped(const char* why) override;

 private:
  Route Match(std::string_view path);

  HttpServices s_;
  IntakeHealth health_;
  LogStreams log_streams_;  // the cap on live log streams
  SlotCap log_renders_{kMaxLogRenders};
};

}  // namespace ccci
