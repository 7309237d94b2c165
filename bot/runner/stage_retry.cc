#include "bot/runner/stage_retry.h"

namespace ccci::runner {

bool StageRetry::Retryable(const std::string& stage) {
  for (const char* s : {"install", "upgrade", "backup", "restore", "functional", "lint"}) {
    if (stage == s) return true;
  }
  return false;
}

bool StageRetry::Wants(const StageRecord& ended) const {
  return enabled_ && !retrying_ && ended.status == kStageFail && Retryable(ended.name);
}

void StageRetry::Start(const StageRecord& failed) {
  first_ = failed;
  retrying_ = true;
}

void StageRetry::Begin(StageRecord* st) const {
  if (!retrying_) return;
  st->attempts = 2;
  st->started_at_ms = first_.started_at_ms;
  st->log_path = first_.log_path;
  st->reason = "retrying after: " + first_.reason;
}

void StageRetry::End(StageRecord* st) const {
  if (!retrying_) return;
  st->attempts = 2;
  st->started_at_ms = first_.started_at_ms;
  st->log_path = first_.log_path;
  if (st->status == kStagePass) {
    st->status = kStageFlaky;
    st->reason = "failed, then passed on its retry; the failure: " + first_.reason;
  } else if (st->status == kStageFail) {
    st->reason = "failed twice: " + st->reason;
  }
}

}  // namespace ccci::runner
