#pragma once
// The read side of runs: what the dashboard, the API, badges, logs and the reporter look at.
// Nothing here writes.

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "bot/store/records.h"

namespace ccci {

class RunReader {
 public:
  virtual ~RunReader() = default;

  virtual Result<Run> GetRun(int64_t id) = 0;  // NotFound if there is none
  virtual Result<RunPage> ListRuns(const RunQuery& query) = 0;
  virtual Result<std::vector<StageRecord>> ListStages(int64_t run_id) = 0;  // by seq
  virtual Result<QueueCounts> CountQueue() = 0;
  // Runs whose current state (ReportKey) has not been reported to the forge yet, oldest
  // first. OutboxStore::EnqueueRunReport records a report.
  virtual Result<std::vector<Run>> UnreportedRuns(int limit) = 0;
};

}  // namespace ccci
