#pragma once
// The reconciler: Gitea never retries a failed webhook, so every interval it lists the open
// PRs and recent comments of the watched repos and records what a lost delivery missed: a PR
// head with no run, a `!cc-ci` comment with no command. It goes through the same
// Store::RecordDelivery as webhooks, under synthetic delivery ids, so running both paths never
// doubles work (a head already queued coalesces; a comment already stored is a duplicate).
// A lost close is caught too: a PR with queued, waiting or running runs that is no longer
// open (asked again of Gitea, so a PR opened during the pass is never taken for closed) has
// them cancelled and its ok-to-test approval ended, as the close webhook would have done.
// And a delivery that could not be told from a replay (PrCheckStore) is checked with Gitea:
// its run is queued only if Gitea's head is that run's, its close applied only if Gitea says
// the PR is closed; a second thread does this within a second of being kicked.

#include <string>
#include <vector>

#include "base/clock.h"
#include "base/periodic_worker.h"
#include "bot/forge/forge_client.h"
#include "bot/store/delivery_store.h"
#include "bot/store/pr_check_store.h"
#include "bot/store/run_reader.h"

namespace ccci {

class Reconciler {
 public:
  struct Options {
    std::vector<std::string> repos;  // watched; repos seen in runs are added
    std::string bot_login = "cc-ci";
    std::chrono::seconds interval{300};
    std::chrono::seconds first_lookback{86400};  // comments looked at on the first pass
    Clock* clock = RealClock();
  };
  // `checks` may be null (then no doubtful delivery is ever kept for it).
  Reconciler(DeliveryStore* deliveries, RunReader* runs, ForgeClient* forge, Options options,
             PrCheckStore* checks = nullptr);

  struct Pass {
    int runs_queued = 0;
    int commands_added = 0;
    int closes_seen = 0;  // closed PRs whose active runs were cancelled
    int errors = 0;
  };
  // One pass over every watched repo. Thread-safe.
  Pass ReconcileOnce();
  // Checks the kept doubtful deliveries with Gitea; returns how many were settled.
  int CheckDoubts();

  void Start() {
    worker_.Start();
    checker_.Start();
  }
  // Check the doubtful deliveries now (one was just kept).
  void KickChecks() { checker_.Kick(); }
  void Stop() {
    checker_.Stop();
    worker_.Stop();
  }

 private:
  std::vector<std::string> Repos();
  void CancelClosed(const std::string& repo, const std::vector<ForgePull>& open, int64_t now,
                    Pass* pass);

  DeliveryStore* deliveries_;
  RunReader* runs_;
  ForgeClient* forge_;
  Options options_;
  PrCheckStore* checks_;
  std::mutex mu_;
  std::mutex checks_mu_;
  int64_t last_pass_ms_ = 0;
  PeriodicWorker worker_;
  PeriodicWorker checker_{std::chrono::seconds(10), [this] { CheckDoubts(); }, "reconcile-check"};
};

}  // namespace ccci
