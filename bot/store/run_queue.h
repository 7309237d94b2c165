#pragma once
// The runner's slice of the store: takes queued runs, records their stages and ends them.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "bot/store/records.h"

namespace ccci {

class RunQueue {
 public:
  virtual ~RunQueue() = default;

  // Queued runs, oldest first.
  virtual Result<std::vector<Run>> QueuedRuns(int limit) = 0;
  // queued -> running (attempts + 1, started_at). False when the run is no longer queued
  // (superseded, cancelled or claimed meanwhile): the caller must not run it.
  virtual Result<bool> ClaimRun(int64_t id) = 0;
  // queued -> waiting, with the reason (the trust gate).
  virtual Status HoldRun(int64_t id, const std::string& reason) = 0;
  // Inserts or replaces the stage (run_id, name); a running stage also becomes the run's
  // current stage.
  virtual Status RecordStage(const StageRecord& stage) = 0;
  // running -> finished | error | cancelled, with the level (finished only) and reason. A
  // stage still recorded as running becomes error ("did not finish: <reason>").
  virtual Status FinishRun(int64_t id, const std::string& state, std::optional<int64_t> level,
                           const std::string& reason) = 0;
  // running -> queued again (after cc-ci restarted under it); its stages are cleared.
  virtual Status RequeueRun(int64_t id, const std::string& reason) = 0;
};

}  // namespace ccci
