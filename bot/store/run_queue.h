#pragma once
// The runner's slice of the store: takes queued runs, records their stages and ends them.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "bot/store/records.h"

namespace ccci {

// Who holds a claimed run: the worker that claimed it and the attempt it claimed. A write made
// as the holder (the overloads below taking one) changes the run only while it is still
// running under that worker in that attempt, not taken over by a reaper; otherwise it changes
// nothing and fails with FailedPrecondition ("lease lost"): the run was reaped, and maybe
// claimed again elsewhere.
struct Holder {
  std::string worker;
  int64_t attempt = 0;
};

// A run a worker claimed: the run as it is now running, and the lease that holds it.
struct Lease {
  Run run;  // run.attempts is the attempt the worker holds
  std::string worker;
  int64_t lease_until_ms = 0;
  Holder holder() const { return {worker, run.attempts}; }
};

// True for the failure of a write made as a holder that no longer holds the run.
inline bool IsLeaseLost(const Status& s) { return s.code() == Code::kFailedPrecondition; }

class RunQueue {
 public:
  virtual ~RunQueue() = default;

  // Queued runs, oldest first.
  virtual Result<std::vector<Run>> QueuedRuns(int limit) = 0;
  // queued -> running (attempts + 1, started_at). False when the run is no longer queued
  // (superseded, cancelled or claimed meanwhile): the caller must not run it.
  virtual Result<bool> ClaimRun(int64_t id) = 0;
  // Takes the oldest queued run for `worker` in one statement: queued -> running, attempts + 1,
  // the worker and lease_until = now + lease_ms recorded. Concurrent claimers on any host
  // never take the same run (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: one writer).
  // nullopt when nothing is queued. `server` is the abra server the worker tests on
  // (runner.server), recorded as the run's server: where its stack will be.
  virtual Result<std::optional<Lease>> ClaimNext(const std::string& worker, int64_t lease_ms,
                                                 const std::string& server) = 0;
  // The heartbeat: lease_until = now + lease_ms, only while `worker` still holds the run in
  // attempt `attempt` and it is running (not taken over). False when the lease was lost (the
  // run was reaped, finished or cancelled): the worker must stop and report nothing.
  virtual Result<bool> ExtendLease(int64_t run_id, const std::string& worker, int64_t attempt,
                                   int64_t lease_ms) = 0;
  // queued -> waiting, with the reason (the trust gate).
  virtual Status HoldRun(int64_t id, const std::string& reason) = 0;
  // HoldRun for each (run id, reason), in one transaction: the trust gate holds what a burst
  // of deliveries queued at one write, not one each.
  virtual Status HoldRuns(const std::vector<std::pair<int64_t, std::string>>& holds) = 0;
  // Inserts or replaces the stage (run_id, name); a running stage also becomes the run's
  // current stage.
  virtual Status RecordStage(const StageRecord& stage) = 0;
  // running -> finished | error | cancelled, with the level (finished only) and reason. A
  // stage still recorded as running becomes error ("did not finish: <reason>").
  virtual Status FinishRun(int64_t id, const std::string& state, std::optional<int64_t> level,
                           const std::string& reason) = 0;
  // running -> queued again (after cc-ci restarted under it); its stages are cleared.
  virtual Status RequeueRun(int64_t id, const std::string& reason) = 0;

  // The same three as the run's holder (fenced: see Holder). What a worker records.
  virtual Status RecordStage(const Holder& holder, const StageRecord& stage) = 0;
  virtual Status FinishRun(const Holder& holder, int64_t id, const std::string& state,
                           std::optional<int64_t> level, const std::string& reason) = 0;
  virtual Status RequeueRun(const Holder& holder, int64_t id, const std::string& reason) = 0;
  // Gives a run just claimed back, as if never claimed (attempts - 1): to `queued`, or to
  // `waiting` with the reason (the trust gate held it). Fenced as the above.
  virtual Status ReleaseRun(const Holder& holder, int64_t id, const std::string& state,
                            const std::string& reason) = 0;
  // The reaper of `worker`, a worker testing on `server`, in one statement: every running run
  // whose lease expired (its holder was killed, paused or cut off and stopped renewing it):
  // - once it had `max_attempts` attempts, becomes a CI error ("lost its worker N times"),
  //   its running stages closed; nobody claims it again, so it can end at once;
  // - claimed for `server` (not ""): is taken over, its stages cleared: it stays running,
  //   now under `worker` with a lease of `lease_ms`, attempts unchanged, and reaped_from
  //   naming the worker that lost it. No claim takes it and no write fenced on the lost
  //   attempt's holder changes it while `worker` tears its stack down; then RequeueTakenOver
  //   queues it. A take-over that expired in turn (that reaper died mid-teardown) is taken
  //   over again the same way, attempts still unchanged: a lost teardown burns no attempt;
  // - claimed for another server (or none recorded): goes back to the queue, its stages
  //   cleared, with no teardown (its stack is on a host this worker cannot reach).
  // Returns the runs it changed, as they are now. Safe to call from every worker.
  virtual Result<std::vector<Run>> ReapExpiredLeases(const std::string& worker,
                                                     const std::string& server, int64_t lease_ms,
                                                     int64_t max_attempts) = 0;
  // The heartbeat of a take-over: lease_until = now + lease_ms while `holder` (the reaper and
  // the run's attempt) still holds the run taken over. False when it lost it (its take-over
  // expired and another reaper took the run over, or queued it).
  virtual Result<bool> ExtendTakeOver(const Holder& holder, int64_t run_id, int64_t lease_ms) = 0;
  // A run taken over by `holder`, its stack torn down, goes back to the queue ("queued again:
  // its worker W stopped renewing its lease", worker W again, attempts unchanged). Fenced on
  // the take-over: FailedPrecondition ("lease lost") when `holder` no longer holds it, and then
  // it changes nothing.
  virtual Status RequeueTakenOver(const Holder& holder, int64_t run_id) = 0;
};

}  // namespace ccci
