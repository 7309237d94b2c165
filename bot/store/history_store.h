#pragma once
// The store's slice behind a recipe's history: the level pictures (sparkline, chart, history
// badge) and how often each stage was flaky. Implemented by SqlStore (sql_history.cc).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "bot/store/records.h"

namespace ccci {

// How often a stage was flaky over a window of default-branch runs.
struct StageFlakiness {
  std::string stage;
  int64_t flaky = 0;  // runs in which it failed, then passed on its retry
  int64_t ran = 0;    // runs in which it came to a verdict (pass, fail or flaky)
};

// The window the flaky rates and the sparkline look at.
inline constexpr int kHistoryWindow = 30;

class HistoryStore {
 public:
  virtual ~HistoryStore() = default;

  // The newest `limit` (1..500) runs of `repo` that ended with a level or a CI error (states
  // finished and error), newest first: the default branch's only when `pr` is 0, every run's
  // when it is nullopt. `up_to_id` > 0 leaves out runs newer than it, so the history drawn for
  // a run stays what it was when that run ended.
  virtual Result<std::vector<Run>> EndedRuns(const std::string& repo, std::optional<int64_t> pr,
                                             int64_t up_to_id, int limit) = 0;

  // Per stage (by name), over the newest `window` ended default-branch runs of `repo`: in how
  // many it ran and in how many it was flaky. Stages that never ran in the window are left out.
  virtual Result<std::vector<StageFlakiness>> FlakyStages(const std::string& repo, int window) = 0;
};

}  // namespace ccci
