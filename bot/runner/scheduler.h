#pragma once
// The scheduler: takes queued runs from the store and runs the suite on them,
// `concurrency` at a time. It claims each run under its worker name with a lease
// (RunQueue::ClaimNext), then asks the RunGate (the trust gate may hold it as `waiting`); a
// claimed run is `running`, its stages are recorded as they happen, and it ends `finished`
// (with its level), `error` (CI error: no level) or `cancelled`. A run whose cancel was
// requested (a newer push, `!cc-ci cancel`, the PR closed) is stopped within one poll
// interval (sooner when the WorkSignal wakes it); teardown still runs.
//
// Leases (several workers on one PostgreSQL store): every lease/3 a heartbeat renews the
// lease of each running suite, only while this worker still holds it in that attempt. A suite
// whose lease is lost (this process was paused or cut off past it, and the run was reaped and
// maybe claimed elsewhere) is cancelled and torn down on this worker's server, and records,
// finishes and requeues nothing: every write it makes is fenced on its holder. The same beat
// reaps the expired leases of every worker (RunQueue::ReapExpiredLeases): such a run runs
// again, up to max_attempts attempts, then it is a CI error.
//
// After a restart, Recover() tears down the runs the previous process left `running` and
// queues each again once (then marks it CI error; a run its reaper had taken over is queued
// again as the reaper would have); with a shared store only the runs this worker held, and
// it also tears down what its own work dirs show it deployed for runs it no longer holds
// (orphans of a run reaped from it). Then it sweeps its server: every stack named as a cc-ci
// run's whose run is not running is removed.
//
// The reaper (issue 15): a run is claimed for a server (runner.server, recorded with the
// claim). When this worker's beat reaps a run claimed for its own server, the store hands the
// run over to this worker instead of queueing it (a take-over: still running, so no worker
// claims it, not even one on the same server), and a thread of its own tears the run's stack
// down, the beat keeping the take-over's lease; only then is the run queued again
// (RunQueue::RequeueTakenOver, fenced: a reaper that lost its take-over queues nothing). A run
// that became a CI error has its stack torn down the same way. A run claimed for another
// server is queued again at once: its stack is on a host this worker cannot reach.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bot/runner/clone_source.h"
#include "bot/runner/suite.h"
#include "bot/store/run_gate.h"
#include "bot/store/run_queue.h"
#include "bot/store/run_reader.h"
#include "bot/store/work_signal.h"

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
  int max_attempts = 2;  // a run interrupted by restarts or lost workers runs at most this often
  // The name runs are claimed under: unique among the workers sharing the store
  // (runner.worker_name). A restarted worker must keep its name to recover its runs.
  std::string worker = "local";
  // How long a claim holds without a heartbeat (runner.lease); renewed every lease/3.
  std::chrono::milliseconds lease{60000};
  // Other processes share the store (PostgreSQL): Recover() takes back only this worker's
  // runs and sweeps its work dirs for orphans. Without (SQLite: one process) every run left
  // running is this process's.
  bool shared_store = false;
  // Wakes the scheduler when another process queued work or asked a run to stop; may be null
  // (the poll interval alone). Must outlive the scheduler.
  WorkSignal* work_signal = nullptr;
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

  // Tears down and requeues (or errors) runs left `running` by a previous process (with a
  // shared store: by this worker), then, with a shared store, the orphans in its work dirs.
  // Call before Start().
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
  // One heartbeat (the heartbeat thread calls it every lease/3; public for tests): renews
  // every running suite's lease and cancels those whose lease is lost, renews the take-overs
  // of the reaper thread, then reaps expired leases (not once stopping). Kicks the loop when
  // it queued runs again.
  void Beat();

 private:
  struct Active {
    CancelToken cancel;
    std::thread thread;
    bool done = false;
    int64_t run_id = 0;
    Holder holder;
    std::atomic<bool> lease_lost{false};
    std::chrono::steady_clock::time_point renewed;  // the last renewal that succeeded
  };
  enum class Admission { kRun, kHeld, kLater };
  void Loop();
  void Dispatch();
  // The gate on the queued runs as they are, before any claim: a run it holds goes to
  // `waiting` without ever showing as running (all of the pass's holds in one write). Returns
  // the runs it admitted; `*saw_all` says every queued run was looked at and answered for.
  std::set<int64_t> GateQueued(int free, bool* saw_all);
  // Asks the gate about a claimed run (one queued after GateQueued looked); a run it holds,
  // or cannot answer for, is given back (RunQueue::ReleaseRun).
  Admission Admit(const Lease& lease);
  void Execute(Run run, Active* slot);
  void Finish(const Run& run, const SuiteResult& result, Active* slot);
  void LoseLease(Active* slot, const std::string& why);
  void HeartbeatLoop();
  void SignalLoop();
  void Reap();
  // Renews the lease of every take-over the reaper thread holds; drops the pending ones lost.
  void BeatTakeOvers();
  // Tears down run `id` as its own suite would (abra undeploy and remove, the work dir).
  void TearDown(const Run& run);
  void SweepOrphans();
  // The reaper's teardown (scheduler_reaper.cc): the stack of a run this worker's server
  // holds although the run is not running here. With the run's work dir on this host, as its
  // own suite would (TearDown); else with docker alone (RemoveStack).
  void TearDownStack(const Run& run, const std::string& why);
  // Hands the reaped runs of this worker's server (taken over, or CI errors) to the reaper
  // thread.
  void QueueStackTeardowns(const std::vector<Run>& reaped);
  void ReaperLoop();
  // One run of the reaper thread: its stack torn down (unless `torn_down`: this worker's own
  // suite of it did), then, taken over, queued again.
  void ReapStack(const Run& run, bool torn_down);
  // The take-overs the reaper thread holds (Beat extends their leases); under mu_.
  std::vector<Run> TakenOver() const;
  // At startup: every stack on this worker's server that is a cc-ci run's (its name is the
  // run's StackName exactly) whose run is not running is torn down.
  void SweepStacks();

  RunQueue* queue_;
  RunReader* runs_;
  RunGate* gate_;
  Executor* executor_;
  SchedulerOptions options_;
  SuiteDeps deps_;
  std::function<void()> on_change_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  // The heartbeat's own: a kick (one per delivery) wakes the loop, not the heartbeat too.
  std::condition_variable beat_cv_;
  bool kicked_ = false;
  bool stopping_ = false;
  bool beating_ = false;  // the heartbeat thread runs until the last suite ended
  std::map<int64_t, std::unique_ptr<Active>> active_;
  // Reaped runs whose stacks the reaper thread tears down, and the one it is on (id 0: none).
  // Those taken over stay running under this worker until then: nobody claims them.
  std::vector<Run> reaped_stacks_;
  Run tearing_down_;
  bool reaper_running_ = false;
  std::thread reaper_;
  std::thread loop_;
  std::thread heartbeat_;
  std::thread signal_;
};

}  // namespace ccci::runner
