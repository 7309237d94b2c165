#include "bot/report/stage_views.h"

#include <Poco/URI.h>

namespace ccci {

render::StageResult ToStageResult(const StageRecord& r, int64_t now_ms) {
  render::StageResult s;
  s.name = r.name;
  if (!render::ParseStageStatus(r.status, &s.status)) s.status = render::StageStatus::kError;
  s.reason = r.reason;
  s.duration_ms = r.duration_ms;
  if (s.status == render::StageStatus::kRunning && now_ms > r.started_at_ms &&
      r.started_at_ms > 0) {
    s.duration_ms = now_ms - r.started_at_ms;
  }
  s.exit_code = r.exit_code ? static_cast<int>(*r.exit_code) : 0;
  return s;
}

std::string StageLogPath(int64_t run_id, const std::string& stage) {
  std::string name;
  Poco::URI::encode(stage, "/?#%&+;=", name);
  return "/runs/" + std::to_string(run_id) + "/logs/" + name;
}

}  // namespace ccci
