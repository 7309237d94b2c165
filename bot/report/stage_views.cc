#include "bot/report/stage_views.h"

#include <Poco/URI.h>

namespace ccci {

std::string StageLogPath(int64_t run_id, const std::string& stage) {
  std::string name;
  Poco::URI::encode(stage, "/?#%&+;=", name);
  return "/runs/" + std::to_string(run_id) + "/logs/" + name;
}

}  // namespace ccci
