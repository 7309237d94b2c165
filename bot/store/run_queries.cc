#include "bot/store/run_queries.h"

namespace ccci {

std::optional<int64_t> DefaultBranchLevel(RunReader* store, const Run& run) {
  if (run.pr == 0) return std::nullopt;
  RunQuery q;
  q.repo = run.repo;
  q.pr = 0;
  q.state = kRunFinished;
  q.limit = 1;
  auto page = store->ListRuns(q);
  if (!page.ok() || page->runs.empty()) return std::nullopt;
  return page->runs[0].level;
}

}  // namespace ccci
