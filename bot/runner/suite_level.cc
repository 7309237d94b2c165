#include "bot/runner/suite_level.h"

namespace ccci {

domain::StageResult ToStageResult(const StageRecord& r, int64_t now_ms) {
  domain::StageResult s;
  s.name = r.name;
  if (!domain::ParseStageStatus(r.status, &s.status)) s.status = domain::StageStatus::kError;
  s.reason = r.reason;
  s.intentional = true;
  s.duration_ms = r.duration_ms;
  if (s.status == domain::StageStatus::kRunning && now_ms > r.started_at_ms &&
      r.started_at_ms > 0) {
    s.duration_ms = now_ms - r.started_at_ms;
  }
  s.exit_code = r.exit_code ? static_cast<int>(*r.exit_code) : 0;
  return s;
}

namespace runner {

domain::LevelResult LevelOf(const std::vector<StageRecord>& stages) {
  std::vector<domain::StageResult> results;
  results.reserve(stages.size());
  for (const StageRecord& s : stages) results.push_back(ToStageResult(s));
  return domain::ComputeLevel(results);
}

}  // namespace runner
}  // namespace ccci
