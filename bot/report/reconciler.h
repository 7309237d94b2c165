#pragma once
// The reconciler: Gitea never retries a failed webhook, so every interval it lists the open
// PRs and recent comments of the watched repos and records what a lost delivery missed: a PR
// head with no run, a `!cc-ci` comment with no command. It goes through the same
// Store::RecordDelivery as webhooks, under synthetic delivery ids, so running both paths never
// doubles work (a head already queued coalesces; a comment already stored is a duplicate).

#include <string>
#include <vector>

#include "base/clock.h"
#include "base/periodic_worker.h"
#include "bot/forge/forge_client.h"
#include "bot/store/store.h"

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
  Reconciler(Store* store, ForgeClient* forge, Options options);

  struct Pass {
    int runs_queued = 0;
    int commands_added = 0;
    int errors = 0;
  };
  // One pass over every watched repo. Thread-safe.
  Pass ReconcileOnce();

  void Start() { worker_.Start(); }
  void Stop() { worker_.Stop(); }

 private:
  std::vector<std::string> Repos();

  Store* store_;
  ForgeClient* forge_;
  Options options_;
  std::mutex mu_;
  int64_t last_pass_ms_ = 0;
  PeriodicWorker worker_;
};

}  // namespace ccci
