// The scheduler and the trust gate: who may run is asked before a run is claimed, and once
// more after the claim for a run that was queued after that look (scheduler.h).
#include "base/log.h"
#include "bot/runner/scheduler.h"

namespace ccci::runner {

std::set<int64_t> Scheduler::GateQueued(int free, bool* saw_all) {
  std::set<int64_t> admitted;
  *saw_all = false;
  int limit = free + 32;
  auto queued = queue_->QueuedRuns(limit);
  if (!queued.ok()) {
    LogError("runner.queue_unreadable", {{"reason", queued.status().message()}});
    return admitted;
  }
  std::vector<std::pair<int64_t, std::string>> holds;
  std::vector<const Run*> held;
  bool unanswered = false;
  for (const Run& run : *queued) {
    auto decision = gate_->Admit(run);
    if (!decision.ok()) {
      LogWarn("runner.gate_unavailable",
              {{"run", run.id}, {"reason", decision.status().message()}});
      unanswered = true;
      continue;  // asked again after its claim, or on the next pass
    }
    if (decision->admit) {
      admitted.insert(run.id);
      continue;
    }
    holds.emplace_back(run.id, decision->reason);
    held.push_back(&run);
  }
  // One write for every hold of the pass: under a burst of deliveries from untrusted authors
  // a write per run was most of the runner's cost.
  if (!holds.empty()) {
    Status s = queue_->HoldRuns(holds);
    for (size_t i = 0; i < held.size(); ++i) {
      const Run& run = *held[i];
      if (!s.ok()) {
        LogError("runner.hold_failed", {{"run", run.id}, {"reason", s.message()}});
        continue;
      }
      LogInfo("runner.held",
              {{"run", run.id}, {"repo", run.repo}, {"pr", run.pr}, {"reason", holds[i].second}});
    }
    if (!s.ok()) unanswered = true;  // still queued: claimed and asked again below
    if (on_change_) on_change_();
  }
  *saw_all = !unanswered && queued->size() < static_cast<size_t>(limit);
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
