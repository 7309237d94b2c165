#pragma once
// PRs whose latest delivery could not be told from a replay (store.h PrFreshness): as new as
// the newest recorded for the PR, yet naming another head or state. The reconciler asks Gitea
// what the PR is now and records the kept work only if Gitea agrees.

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "bot/store/records.h"

namespace ccci {

struct PrCheck {
  std::string repo;
  int64_t pr = 0;
  std::string delivery_id;  // the doubtful delivery
  int64_t requested_at_ms = 0;
  Work work;  // what it asked for: kQueueRun or kCancel, with its freshness
};

class PrCheckStore {
 public:
  virtual ~PrCheckStore() = default;
  // Oldest first.
  virtual Result<std::vector<PrCheck>> PendingPrChecks(int limit) = 0;
  // Removes `check`, unless a newer doubtful delivery of the PR replaced it meanwhile.
  virtual Status FinishPrCheck(const PrCheck& check) = 0;
};

}  // namespace ccci
