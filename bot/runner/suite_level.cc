#include "bot/runner/suite_level.h"

namespace ccci::runner {

std::vector<render::StageResult> ToRenderStages(const std::vector<StageRecord>& stages) {
  std::vector<render::StageResult> out;
  for (const StageRecord& s : stages) {
    render::StageResult r;
    r.name = s.name;
    if (!render::ParseStageStatus(s.status, &r.status)) r.status = render::StageStatus::kError;
    r.reason = s.reason;
    r.intentional = true;
    r.duration_ms = s.duration_ms;
    r.exit_code = s.exit_code ? static_cast<int>(*s.exit_code) : 0;
    out.push_back(std::move(r));
  }
  return out;
}

render::LevelResult LevelOf(const std::vector<StageRecord>& stages) {
  return render::ComputeLevel(ToRenderStages(stages));
}

}  // namespace ccci::runner
