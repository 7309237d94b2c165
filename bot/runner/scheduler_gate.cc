// The scheduler and the trust gate: who may run is asked before a run is claimed, and once
// more after the claim for a run that was queued after that look (scheduler.h).
#include "base/log.h"
#include "bot/runner/scheduler.h"

namespace ccci::runner {

std::set<int64_t> Scheduler::GateQueued(int free) {
  std::set<int64_t> admitted;
  auto queued = queue_->QueuedRuns(free + 32);
  if (!queued.ok()) {
    LogError("runner.queue_unreadable", {{"reason", queued.status().message()}});
    return admitted;
  }
  for (const Run& run : *queued) {
    auto decision = gate_->Admit(run);
    if (!decision.ok()) {
      LogWarn("runner.gate_unavailable",
              {{"run", run.id}, {"reason", decision.status().message()}});
      continue;  // asked again after its claim, or on the next pass
    }
    if (decision->admit) {
      admitted.insert(run.id);
      continue;
    }
    if (Status s = queue_->HoldRun(run.id, decision->reason); !s.ok()) {
      LogError("runner.hold_failed", {{"run", run.id}, {"reason", s.message()}});
    }
    LogInfo("runner.held",
            {{"run", run.id}, {"repo", run.repo}, {"pr", run.pr}, {"reason", decision->reason}});
    if (on_change_) on_change_();
  }
  return admitted;
}

Scheduler::Admission Scheduler::Admit(const Lease& lease) {
  const Run& run = lease.run;
  auto decision = gate_->Admit(run);
  if (decision.ok() && decision->admit) {
    if (on_change_) on_change_();
    return Admission::kRun;
  }
  std::string state = decision.ok() ? kRunWaiting : kRunQueued;
  std::string reason = decision.ok() ? decision->reason : "";
  if (Status s = queue_->ReleaseRun(lease.holder(), run.id, state, reason); !s.ok()) {
    LogError("runner.hold_failed", {{"run", run.id}, {"reason", s.message()}});
  }
  if (!decision.ok()) {
    LogWarn("runner.gate_unavailable", {{"run", run.id}, {"reason", decision.status().message()}});
    return Admission::kLater;
  }
  LogInfo("runner.held",
          {{"run", run.id}, {"repo", run.repo}, {"pr", run.pr}, {"reason", decision->reason}});
  if (on_change_) on_change_();
  return Admission::kHeld;
}

}  // namespace ccci::runner
