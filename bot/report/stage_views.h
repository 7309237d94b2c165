#pragma once
// Links to stage logs, for the run page and the PR comment alike. (A stage record as the
// renderer's value: ToStageResult in bot/runner/suite_level.h.)

#include <cstdint>
#include <string>

#include "bot/runner/suite_level.h"

namespace ccci {

// The path of a stage's log page, /runs/{id}/logs/{stage} (the name percent-encoded); append
// ".txt" for the raw text and "/events" for the live stream. Attempt 2 of a retried stage
// (a flaky one) is /runs/{id}/logs/{stage}.1, as its file is <stage>.1.log.
std::string StageLogPath(int64_t run_id, const std::string& stage, int attempt = 1);

}  // namespace ccci
