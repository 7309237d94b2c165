// The scheduler's leases: the heartbeat that keeps them (and gives up a lost one) and the
// reaper's take-overs, the reaper that takes expired ones back from workers that stopped
// renewing, and the wake-up from other processes (scheduler.h).
#include <algorithm>

#include "base/log.h"
#include "bot/runner/scheduler.h"

namespace ccci::runner {

void Scheduler::LoseLease(Active* slot, const std::string& why) {
  if (slot->lease_lost.exchange(true)) return;
  slot->cancel.Cancel();  // its teardown still runs, on this worker's own server
  LogWarn("runner.lease_lost",
          {{"run", slot->run_id},
           {"worker", options_.worker},
           {"attempt", slot->holder.attempt},
           {"reason", why},
           {"then", "the suite is cancelled and torn down; nothing recorded"}});
}

void Scheduler::Beat() {
  struct Held {
    int64_t id;
    Holder holder;
  };
  std::vector<Held> held;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [id, a] : active_) {
      if (!a->done && !a->lease_lost) held.push_back({id, a->holder});
    }
  }
  for (const Held& h : held) {
    auto renewed =
        queue_->ExtendLease(h.id, h.holder.worker, h.holder.attempt, options_.lease.count());
    auto now = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> l(mu_);
    auto it = active_.find(h.id);
    if (it == active_.end() || it->second->done) continue;
    Active* slot = it->second.get();
    if (renewed.ok() && *renewed) {
      slot->renewed = now;
    } else if (renewed.ok()) {
      LoseLease(slot, "run " + std::to_string(h.id) + " is no longer held by this worker");
    } else if (now - slot->renewed > options_.lease) {
      // The store has not answered for a whole lease: the reaper may have given the run to
      // another worker by now. Stop rather than run it twice.
      LoseLease(slot, "run " + std::to_string(h.id) + ": the lease could not be renewed for " +
                          std::to_string(options_.lease.count() / 1000) +
                          " s: " + renewed.status().message());
    } else {
      LogWarn("runner.lease_not_renewed", {{"run", h.id}, {"reason", renewed.status().message()}});
    }
  }
  BeatTakeOvers();
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_) return;  // other workers reap; this one only ends what it holds
  }
  Reap();
}

std::vector<Run> Scheduler::TakenOver() const {
  std::vector<Run> held;
  for (const Run& r : reaped_stacks_) {
    if (!r.reaped_from.empty()) held.push_back(r);
  }
  if (tearing_down_.id != 0 && !tearing_down_.reaped_from.empty()) held.push_back(tearing_down_);
  return held;
}

void Scheduler::BeatTakeOvers() {
  std::vector<Run> held;
  {
    std::lock_guard<std::mutex> l(mu_);
    held = TakenOver();
  }
  for (const Run& run : held) {
    auto renewed =
        queue_->ExtendTakeOver({options_.worker, run.attempts}, run.id, options_.lease.count());
    if (!renewed.ok()) {
      // Its lease runs on; the next beat tries again (a teardown outlasting a whole lease
      // without the store is taken over by another reaper, and this one queues nothing).
      LogWarn("runner.takeover_not_renewed",
              {{"run", run.id}, {"reason", renewed.status().message()}});
      continue;
    }
    if (*renewed) continue;
    // Another reaper took it over (this one was paused past the take-over's lease), or it was
    // queued: a teardown not begun yet is that reaper's now. One under way ends (there is no
    // stopping `docker stack rm` halfway), and its requeue is refused.
    LogWarn("runner.takeover_lost", {{"run", run.id}, {"worker", options_.worker}});
    std::lock_guard<std::mutex> l(mu_);
    std::erase_if(reaped_stacks_, [&](const Run& r) { return r.id == run.id; });
  }
}

void Scheduler::Reap() {
  auto reaped = queue_->ReapExpiredLeases(options_.worker, options_.defaults.server,
                                          options_.lease.count(), options_.max_attempts);
  if (!reaped.ok()) {
    LogWarn("runner.reap_failed", {{"reason", reaped.status().message()}});
    return;
  }
  QueueStackTeardowns(*reaped);
  for (const Run& run : *reaped) {
    bool taken_over = !run.reaped_from.empty();
    LogWarn("runner.lease_expired", {{"run", run.id},
                                     {"worker", taken_over ? run.reaped_from : run.worker},
                                     {"attempts", run.attempts},
                                     {"now", taken_over ? "taken over" : run.state},
                                     {"reason", run.reason}});
    if (options_.on_run_finished && run.state == kRunError) options_.on_run_finished(kRunError);
  }
  if (reaped->empty()) return;
  if (on_change_) on_change_();
  Kick();
}

void Scheduler::HeartbeatLoop() {
  // A third of the lease: two beats may be missed (a slow store, a long pause) before it ends.
  auto period = std::max(options_.lease / 3, std::chrono::milliseconds(10));
  std::unique_lock<std::mutex> lock(mu_);
  while (beating_) {
    beat_cv_.wait_for(lock, period, [&] { return !beating_; });
    if (!beating_) break;
    lock.unlock();
    Beat();
    lock.lock();
  }
}

void Scheduler::SignalLoop() {
  for (;;) {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (stopping_) return;
    }
    if (!options_.work_signal->WaitForWork(options_.poll)) continue;
    Kick();
    // Notifications come in bursts (a flood of webhooks): one look per 50 ms is prompt enough
    // and keeps a burst from costing a claim attempt per notification.
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(50), [&] { return stopping_; });
  }
}

}  // namespace ccci::runner
