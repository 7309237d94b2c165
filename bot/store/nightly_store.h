#pragma once
// The store's slice behind nightly runs (bot/intake/nightly.h), the regression issues they
// open (bot/report/regression_issue.h) and the /nightly board. Implemented by SqlStore
// (sql_nightly.cc, tables in migrations/012_nightly.sql).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "bot/store/records.h"

namespace ccci {

inline constexpr const char* kNightlyTrigger = "nightly";

// What queueing one recipe's nightly run did.
struct NightlyQueued {
  int64_t run_id = 0;
  bool queued = false;  // false: the pass already had a run for the recipe (run_id is it)
};

// One recipe on the board: its run in the newest pass and in the pass before (either may be
// missing: a recipe new tonight, or one left out of a pass).
struct NightlyRow {
  std::string repo;
  std::optional<Run> tonight;
  std::optional<Run> previous;
};

struct NightlyBoardData {
  std::string pass_id;           // the newest pass ("" when none ran yet)
  std::string previous_pass_id;  // the one before ("" when none)
  std::vector<NightlyRow> rows;  // by repo
  bool truncated = false;        // more recipes than the limit
};

// The open regression issue of a recipe.
struct RegressionIssue {
  int64_t issue = 0;           // its number on Gitea
  int64_t baseline_level = 0;  // the level before the drop: the issue closes at or above it
  int64_t level = 0;           // the level it says now
  int64_t run_id = 0;          // the nightly run that said it
};

class NightlyStore {
 public:
  virtual ~NightlyStore() = default;

  // Whether `node` should run pass `pass_id` now: true when the pass was not recorded yet
  // (it is now, held by `node`), or when it is unfinished and held by `node` or by a node
  // whose claim is older than `stale_ms` (it died mid-pass; `node` takes it over). Renews
  // the claim when true. False when the pass is finished or another node is on it.
  virtual Result<bool> ClaimNightlyPass(const std::string& pass_id, const std::string& node,
                                        int64_t stale_ms) = 0;
  virtual Status FinishNightlyPass(const std::string& pass_id, int64_t runs_queued) = 0;
  // Whether the pass already has a run of `repo`.
  virtual Result<bool> HasNightlyRun(const std::string& pass_id, const std::string& repo) = 0;
  // Queues `run` (a branch run, trigger kNightlyTrigger) as `pass_id`'s run of its repo, in
  // one transaction; when the pass already has one, queues nothing and returns it.
  virtual Result<NightlyQueued> QueueNightlyRun(const std::string& pass_id,
                                                const RunRequest& run) = 0;
  // The level of `repo`'s newest nightly run before run `before_run_id` that finished with
  // a level (CI errors, cancelled and unfinished runs are passed over); nullopt when none.
  virtual Result<std::optional<int64_t>> PreviousNightlyLevel(const std::string& repo,
                                                              int64_t before_run_id) = 0;
  // The newest two passes' runs, at most `limit` (1..1000) recipes, by repo.
  virtual Result<NightlyBoardData> NightlyBoard(int limit) = 0;

  virtual Result<std::optional<RegressionIssue>> GetRegressionIssue(const std::string& repo) = 0;
  virtual Status SetRegressionIssue(const std::string& repo, const RegressionIssue& issue) = 0;
  virtual Status ClearRegressionIssue(const std::string& repo) = 0;
};

}  // namespace ccci
