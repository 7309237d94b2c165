#pragma once
// The scheduler: takes queued runs from the store and runs the suite on them,
// `concurrency` at a time. Before a run starts it asks the RunGate (the trust gate may hold
// it as `waiting`); a claimed run is `running`, its stages are recorded as they happen, and it
// ends `finished` (with its level), `error` (CI error: no level) or `cancelled`. A run whose
// cancel was requested (a newer push, `!cc-ci cancel`, the PR closed) is stopped within one
// poll interval; teardown still runs. After a restart, Recover() tears down the runs the
// previous process left `running` and queues each again once (then marks it CI error).

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bot/runner/clone_source.h"
#include "bot/runner/suite.h"
#include "bot/store/run_gate.h"
#include "bot/store/run_queue.h"
#include "bot/store/run_reader.h"

namespace ccci::runner {

struct SchedulerOptions {
  int concurrency = 1;
  std::string data_dir = "data";  // logs in <data_dir>/runs/<id>, work in <data_dir>/work/<id>
  std::string domain_suffix = "ci.localhost";
  SuiteSpec defaults;          // server, abra, app_url, connect_to, timeouts, secrets...
  std::string overlay_dir;     // <recipe>.ini files; empty: none
  CloneSources clone_sources;  // where runs may clone from (default: nowhere)
  std::vector<std::string> approved_recipes;  // names or owner/name
  std::chrono::milliseconds poll{1000};
  int max_attempts = 2;  // a run interrupted by restarts runs at most this often
  // Told of every finished stage, and of every run's outcome ("level N", "error",
  // "cancelled", "requeued"), for metrics. Called on runner threads; may be empty.
  std::function<void(const StageRecord&)> on_stage_finished;
  std::function<void(const std::string& outcome)> on_run_finished;
};

// The recipe's operator settings: its overlay and whether its own code may run (`repo` is
// owner/name, or just the name for `cc-ci check`). Fails on a broken overlay file.
Status ApplyRecipeSettings(const SchedulerOptions& options, const std::string& repo,
                           SuiteSpec* spec);

class Scheduler {
 public:
  // `deps` gives the clock, sleep and screenshot function (its executor and observer are
  // replaced). `on_change` is called after every change of a run's state or stage (the
  // reporter's kick). All pointers must outlive the scheduler.
  Scheduler(RunQueue* queue, RunReader* runs, RunGate* gate, Executor* executor,
            SchedulerOptions options, SuiteDeps deps, std::function<void()> on_change);
  ~Scheduler();

  // Tears down and requeues (or errors) runs left `running` by a previous process. Call
  // before Start().
  Status Recover();
  void Start();
  // Look at the queue now (a delivery was recorded, a command handled).
  void Kick();
  // Stops dispatching, cancels running suites (their teardown runs) and queues those runs
  // again, so a restart picks them up. Returns when every worker is done.
  void Stop();

  // The suite spec a run would get (public for `cc-ci check` and tests). InvalidArgument for
  // a run the runner must not start: a clone URL CloneSources refuses, a head that is not a
  // commit id, a repository whose name cannot be a directory.
  Result<SuiteSpec> SpecFor(const Run& run) const;
  int active() const;

 private:
  struct Active {
    CancelToken cancel;
    std::thread thread;
    bool done = false;
  };
  void Loop();
  void Dispatch();
  void Execute(Run run, Active* slot);
  void Finish(const Run& run, const SuiteResult& result);

  RunQueue* queue_;
  RunReader* runs_;
  RunGate* gate_;
  Executor* executor_;
  SchedulerOptions options_;
  SuiteDeps deps_;
  std::function<void()> on_change_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool kicked_ = false;
  bool stopping_ = false;
  std::map<int64_t, std::unique_ptr<Active>> active_;
  std::thread loop_;
};

}  // namespace ccci::runner
