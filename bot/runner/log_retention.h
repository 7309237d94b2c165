#pragma once
// Log retention: a run's files under <data_dir>/runs/<id>/ (stage logs, the screenshot) are
// what grows without bound on a CI host. Every `interval` the files of runs that ended more
// than `retention` ago are removed; the run and its stage records stay, so levels, history
// and badges are unchanged, and the log pages say the log is gone. Runs that have not ended
// (queued, waiting, running) are never touched, however old. A directory whose run the store
// does not know (a store reset, a deleted database) goes once it is older than `retention`.
// The same runs' artifacts in the store (log chunks, screenshots: bot/store/artifact_store.h)
// go in the same pass, whichever host wrote them.

#include <chrono>
#include <mutex>
#include <string>

#include "base/clock.h"
#include "base/periodic_worker.h"
#include "bot/store/artifact_store.h"
#include "bot/store/run_reader.h"

namespace ccci::runner {

class LogRetention {
 public:
  struct Options {
    std::string data_dir;
    std::chrono::seconds retention{90 * 86400};  // 0: keep everything (Start does nothing)
    std::chrono::seconds interval{3600};
    Clock* clock = RealClock();
    ArtifactStore* artifacts = nullptr;  // null: files only
  };
  LogRetention(RunReader* store, Options options);

  struct Pass {
    int removed = 0;  // run directories removed
    int stored = 0;   // runs whose artifacts were deleted from the store
    int kept = 0;
    int errors = 0;
  };
  // One sweep over <data_dir>/runs and the store's artifacts. Thread-safe.
  Pass PruneOnce();

  void Start();
  void Stop() { worker_.Stop(); }

 private:
  void PruneStored(int64_t cutoff, Pass* pass);
  RunReader* store_;
  Options options_;
  std::mutex mu_;
  PeriodicWorker worker_;
};

}  // namespace ccci::runner
