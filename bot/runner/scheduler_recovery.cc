// The scheduler after a restart: the runs its previous process left running, and (with a
// shared store) the apps its work dirs show it deployed for runs it no longer holds
// (scheduler.h).
#include <filesystem>

#include "base/log.h"
#include "bot/runner/scheduler.h"

namespace ccci::runner {

void Scheduler::TearDown(const Run& run) {
  auto spec = SpecFor(run);
  if (!spec.ok()) {
    LogWarn("runner.recovery_teardown_failed",
            {{"run", run.id}, {"reason", spec.status().message()}});
    return;
  }
  SuiteDeps deps = deps_;
  deps.executor = executor_;
  deps.observer = nullptr;
  StageRecord st = RunTeardown(*spec, deps);
  if (st.status != std::string(kStagePass)) {
    LogWarn("runner.recovery_teardown_failed", {{"run", run.id}, {"reason", st.reason}});
  }
}

Status Scheduler::Recover() {
  RunQuery q;
  q.state = kRunRunning;
  q.limit = 500;
  auto page = runs_->ListRuns(q);
  if (!page.ok()) return page.status();
  bool changed = false;
  for (const Run& run : page->runs) {
    // Another worker's run (shared store): it renews its lease, or the reaper takes it back.
    if (options_.shared_store && run.worker != options_.worker) continue;
    if (!run.reaped_from.empty()) {
      // Taken over by the reaper of the previous process, which did not live to queue it
      // again: its teardown, then the queue, as the reaper would have.
      LogWarn("runner.interrupted_reap", {{"run", run.id}, {"reaped_from", run.reaped_from}});
      if (run.server == options_.defaults.server) {
        TearDownStack(run, "its reaper was interrupted by a restart");
      }
      Status s = queue_->RequeueTakenOver({run.worker, run.attempts}, run.id);
      if (IsLeaseLost(s)) continue;  // taken over again by another reaper meanwhile
      if (!s.ok()) return s;
      changed = true;
      continue;
    }
    LogWarn("runner.interrupted",
            {{"run", run.id}, {"repo", run.repo}, {"pr", run.pr}, {"attempts", run.attempts}});
    TearDown(run);
    Holder holder{run.worker, run.attempts};
    Status s =
        run.attempts >= options_.max_attempts
            ? queue_->FinishRun(
                  holder, run.id, kRunError, std::nullopt,
                  "interrupted by cc-ci restarts " + std::to_string(run.attempts) + " times")
            : queue_->RequeueRun(holder, run.id, "queued again: cc-ci restarted during the run");
    if (IsLeaseLost(s)) continue;  // reaped meanwhile
    if (!s.ok()) return s;
    changed = true;
  }
  if (options_.shared_store) SweepOrphans();
  SweepStacks();
  if (changed && on_change_) on_change_();
  return Status::Ok();
}

// <data_dir>/work/<run id> exists from the first step of a run's install until its teardown
// ends: one left behind is an app this worker may still have deployed for a run that was
// reaped from it (and finished elsewhere, or queued again). Before Start() no run is live
// here, so every one is torn down.
void Scheduler::SweepOrphans() {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(options_.data_dir + "/work", ec)) {
    std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    int64_t id = std::stoll(name);
    auto run = runs_->GetRun(id);
    if (!run.ok()) {
      LogWarn("runner.orphan_unknown", {{"run", id}, {"reason", run.status().message()}});
      continue;
    }
    LogWarn("runner.orphan", {{"run", id}, {"state", run->state}, {"worker", run->worker}});
    TearDown(*run);
  }
}

}  // namespace ccci::runner
