#include "bot/http/recipe_api.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <algorithm>

#include "bot/http/api_json.h"
#include "bot/http/dashboard.h"
#include "bot/http/metrics.h"
#include "bot/http/server.h"

namespace ccci {
namespace {

class RecipeApiHandler : public Poco::Net::HTTPRequestHandler {
 public:
  RecipeApiHandler(std::string repo, const HttpServices* s) : repo_(std::move(repo)), s_(s) {}

  void handleRequest(Poco::Net::HTTPServerRequest&,
                     Poco::Net::HTTPServerResponse& resp) override {
    int status = 200;
    std::string body;
    Result<std::vector<Run>> runs = Unavailable("this server keeps no history");
    Result<std::vector<StageFlakiness>> flaky = runs.status();
    if (s_->history) {
      runs = s_->history->EndedRuns(repo_, 0, 0, kHistoryWindow);
      flaky = s_->history->FlakyStages(repo_, kHistoryWindow);
    }
    if (!runs.ok() || !flaky.ok()) {
      Status why = runs.ok() ? flaky.status() : runs.status();
      status = HttpStatusFor(why.code());
      body = ErrorJson(why.message());
    } else {
      std::reverse(runs->begin(), runs->end());
      body = RecipeHistoryJson(repo_, *runs, *flaky);
    }
    resp.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    resp.setContentType("application/json");
    resp.set("X-Content-Type-Options", "nosniff");
    resp.setContentLength64(static_cast<Poco::Int64>(body.size()));
    resp.send().write(body.data(), static_cast<std::streamsize>(body.size()));
    s_->metrics->ObserveHttpRequest("api_recipes", status);
  }

 private:
  std::string repo_;
  const HttpServices* s_;
};

}  // namespace

Poco::Net::HTTPRequestHandler* MakeRecipeApiHandler(const std::string& path,
                                                    const HttpServices* services) {
  const std::string prefix = "/api/recipes/";
  if (path.rfind(prefix, 0) != 0 || !ValidRepo(path.substr(prefix.size()))) return nullptr;
  return new RecipeApiHandler(path.substr(prefix.size()), services);
}

}  // namespace ccci
