#include "bot/report/stage_views.h"

#include <Poco/URI.h>

namespace ccci {

std::string StageLogPath(int64_t run_id, const std::string& stage, int attempt) {
  std::string name;
  Poco::URI::encode(stage, "/?#%&+;=", name);
  std::string retry = attempt > 1 ? "." + std::to_string(attempt - 1) : "";
  return "/runs/" + std::to_string(run_id) + "/logs/" + name + retry;
}

}  // namespace ccci
