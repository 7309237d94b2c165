#include "bot/runner/scheduler.h"

#include <algorithm>
#include <set>

#include "base/log.h"
#include "base/path_under.h"
#include "base/thread_name.h"
#include "bot/runner/suite_level.h"

namespace ccci::runner {
namespace {

// How long a burst of kicks gathers before the next pass (Loop): a run starts at most this
// much later, and a burst of 5,000 deliveries a second is gated ~50 runs a write.
constexpr std::chrono::milliseconds kBurstGather{10};

// Records stages in the store as the suite reports them, as the run's holder: when the lease
// is lost, `lost` is told and nothing more is recorded.
class StoreObserver : public SuiteObserver {
 public:
  StoreObserver(RunQueue* store, Holder holder, std::function<void()> on_change,
                std::function<void(const StageRecord&)> on_finished,
                std::function<void(const std::string&)> lost)
      : store_(store),
        holder_(std::move(holder)),
        on_change_(std::move(on_change)),
        on_finished_(std::move(on_finished)),
        lost_(std::move(lost)) {}
  void StageStarted(const StageRecord& s) override { Save(s); }
  void StageFinished(const StageRecord& s) override {
    if (Save(s) && on_finished_) on_finished_(s);
  }

 private:
  bool Save(const StageRecord& s) {
    Status st = store_->RecordStage(holder_, s);
    if (IsLeaseLost(st)) {
      lost_(st.message());
      return false;
    }
    if (!st.ok()) {
      LogError("runner.stage_not_recorded",
               {{"run", s.run_id}, {"stage", s.name}, {"reason", st.message()}});
    }
    if (on_change_) on_change_();
    return true;
  }
  RunQueue* store_;
  Holder holder_;
  std::function<void()> on_change_;
  std::function<void(const StageRecord&)> on_finished_;
  std::function<void(const std::string&)> lost_;
};

}  // namespace

Status ApplyRecipeSettings(const SchedulerOptions& options, const std::string& repo,
                           SuiteSpec* spec) {
  auto overlay = LoadOverlay(options.overlay_dir, spec->recipe);
  if (!overlay.ok()) return overlay.status();
  spec->overlay = *overlay;
  const auto& ok = options.approved_recipes;
  spec->recipe_approved = std::find(ok.begin(), ok.end(), spec->recipe) != ok.end() ||
                          std::find(ok.begin(), ok.end(), repo) != ok.end();
  return Status::Ok();
}

Scheduler::Scheduler(RunQueue* queue, RunReader* runs, RunGate* gate, Executor* executor,
                     SchedulerOptions options, SuiteDeps deps, std::function<void()> on_change)
    : queue_(queue),
      runs_(runs),
      gate_(gate),
      executor_(executor),
      options_(std::move(options)),
      deps_(std::move(deps)),
      on_change_(std::move(on_change)) {
  if (options_.concurrency < 1) options_.concurrency = 1;
  if (!deps_.sleep)
    deps_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

Scheduler::~Scheduler() { Stop(); }

Result<SuiteSpec> Scheduler::SpecFor(const Run& run) const {
  SuiteSpec s = options_.defaults;
  s.run_id = run.id;
  std::string id = std::to_string(run.id);
  s.recipe = run.repo.substr(run.repo.find('/') + 1);
  if (s.recipe.empty()) return InvalidArgument("run " + id + " has no repo");
  if (auto dir = PathUnder(options_.data_dir, s.recipe); !dir.ok()) {
    return InvalidArgument("run " + id + ": the recipe's name " + dir.status().message());
  }
  if (run.clone_url.empty()) return InvalidArgument("run " + id + " has no clone URL");
  if (Status st = options_.clone_sources.Check(run.clone_url); !st.ok()) {
    return InvalidArgument("run " + id + ": " + st.message());
  }
  if (!run.head_sha.empty() && !IsCommitSha(run.head_sha)) {
    return InvalidArgument("run " + id + ": its head is not a commit id");
  }
  s.source = run.clone_url;
  s.git_protocols = options_.clone_sources.GitProtocols();
  s.ref = run.head_sha.empty() ? run.head_ref : run.head_sha;
  s.fetch_ref = run.pr > 0 ? "refs/pull/" + std::to_string(run.pr) + "/head" : run.head_ref;
  s.domain = RunDomain(s.recipe, run.pr, run.id, options_.domain_suffix);
  s.work_dir = options_.data_dir + "/work/" + id;
  s.log_dir = options_.data_dir + "/runs/" + id;
  s.log_rel_dir = "runs/" + id;
  s.retry_failed_stages = run.pr == 0;  // flaky stages: default-branch runs only
  s.attempt = run.attempts;
  CCCI_RETURN_IF_ERROR(ApplyRecipeSettings(options_, run.repo, &s));
  return s;
}

void Scheduler::Start() {
  std::lock_guard<std::mutex> l(mu_);
  if (loop_.joinable()) return;
  stopping_ = false;
  beating_ = true;
  loop_ = NamedThread("runner", [this] { Loop(); });
  heartbeat_ = NamedThread("runner-lease", [this] { HeartbeatLoop(); });
  if (options_.work_signal) signal_ = NamedThread("runner-wake", [this] { SignalLoop(); });
}

void Scheduler::Kick() {
  bool pending;
  {
    std::lock_guard<std::mutex> l(mu_);
    pending = kicked_;
    kicked_ = true;
  }
  // A kick already pending has woken the loop, or will be seen before it waits again: the
  // loop is not woken once per delivery of a burst.
  if (!pending) cv_.notify_all();
}

int Scheduler::active() const {
  std::lock_guard<std::mutex> l(mu_);
  int n = 0;
  for (const auto& [id, a] : active_) n += a->done ? 0 : 1;
  return n;
}

void Scheduler::Stop() {
  std::thread loop, heartbeat, signal;
  std::map<int64_t, std::unique_ptr<Active>> active;
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
    for (auto& [id, a] : active_) a->cancel.Cancel();
    loop.swap(loop_);
    signal.swap(signal_);
  }
  cv_.notify_all();
  if (options_.work_signal) options_.work_signal->Interrupt();
  if (loop.joinable()) loop.join();
  if (signal.joinable()) signal.join();
  // The suites tear down, still holding their leases: the heartbeat beats until they end.
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto& [id, a] : active_) a->cancel.Cancel();
  }
  for (;;) {
    std::thread t;
    {
      std::lock_guard<std::mutex> l(mu_);
      for (auto& [id, a] : active_) {
        if (a->thread.joinable()) {
          t.swap(a->thread);
          break;
        }
      }
    }
    if (!t.joinable()) break;
    t.join();
  }
  // The reaper's teardowns end (they are never cancelled) and queue their runs again, the
  // heartbeat still keeping their take-overs (it reaps nothing more once stopping). Then once
  // more after the heartbeat ended, for a reap that was under way when Stop() began.
  auto join_reaper = [this] {
    std::thread reaper;
    {
      std::lock_guard<std::mutex> l(mu_);
      reaper.swap(reaper_);
    }
    if (reaper.joinable()) reaper.join();
  };
  join_reaper();
  {
    std::lock_guard<std::mutex> l(mu_);
    beating_ = false;
    active.swap(active_);
    heartbeat.swap(heartbeat_);
  }
  cv_.notify_all();
  beat_cv_.notify_all();
  if (heartbeat.joinable()) heartbeat.join();
  join_reaper();
}

void Scheduler::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    Dispatch();
    lock.lock();
    // Kicked again during the pass: a burst of deliveries. It gathers for a moment, so that
    // the next pass gates many queued runs with one write (and a run superseded meanwhile
    // needs none) instead of a pass per delivery.
    if (kicked_) cv_.wait_for(lock, kBurstGather, [&] { return stopping_; });
    cv_.wait_for(lock, options_.poll, [&] { return stopping_ || kicked_; });
    kicked_ = false;
  }
}

void Scheduler::Dispatch() {
  // Reap finished workers; pass cancel requests on to running suites.
  std::vector<int64_t> running;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto it = active_.begin(); it != active_.end();) {
      if (it->second->done) {
        it->second->thread.join();
        it = active_.erase(it);
      } else {
        running.push_back(it->first);
        ++it;
      }
    }
  }
  for (int64_t id : running) {
    auto run = runs_->GetRun(id);
    if (run.ok() && run->cancel_requested) {
      std::lock_guard<std::mutex> l(mu_);
      if (auto it = active_.find(id); it != active_.end()) it->second->cancel.Cancel();
    }
  }
  int free = options_.concurrency - static_cast<int>(running.size());
  if (free <= 0) return;
  bool saw_all = false;
  std::set<int64_t> admitted = GateQueued(free, &saw_all);
  // Nothing queued may run: no claim (a claim and its release are two writes per run). A run
  // queued after the look kicks another pass (or is seen on the next poll).
  if (admitted.empty() && saw_all) return;
  while (free > 0) {
    auto claimed =
        queue_->ClaimNext(options_.worker, options_.lease.count(), options_.defaults.server);
    if (!claimed.ok()) {
      LogError("runner.queue_unreadable", {{"reason", claimed.status().message()}});
      return;
    }
    if (!claimed->has_value()) return;
    const Lease& lease = **claimed;
    const Run& run = lease.run;
    Admission admission = admitted.count(run.id) ? Admission::kRun : Admit(lease);
    if (admission == Admission::kLater) return;  // asked again on the next pass
    if (admission == Admission::kHeld) {
      // Queued after the look, and likely not alone (a burst of deliveries): a new pass at
      // once gates the others with one write, instead of a claim and a release each.
      std::lock_guard<std::mutex> l(mu_);
      kicked_ = true;
      return;
    }
    std::lock_guard<std::mutex> l(mu_);
    // Stop() already cancelled the running suites: give this one back. (A run whose stack a
    // reaper still tears down is never claimed: it stays running, taken over, until then.)
    if (stopping_) {
      Status s = queue_->ReleaseRun(lease.holder(), run.id, kRunQueued, "");
      if (!s.ok()) LogError("runner.release_failed", {{"run", run.id}, {"reason", s.message()}});
      return;
    }
    LogInfo("runner.started", {{"run", run.id},
                               {"repo", run.repo},
                               {"pr", run.pr},
                               {"sha", run.head_sha},
                               {"worker", options_.worker},
                               {"attempt", run.attempts}});
    --free;
    auto slot = std::make_unique<Active>();
    Active* a = slot.get();
    a->run_id = run.id;
    a->holder = lease.holder();
    a->renewed = std::chrono::steady_clock::now();
    active_[run.id] = std::move(slot);
    a->thread = NamedThread("run-" + std::to_string(run.id), [this, run, a] { Execute(run, a); });
  }
}

void Scheduler::Execute(Run run, Active* slot) {
  auto spec = SpecFor(run);
  if (!spec.ok()) {
    Status ended =
        queue_->FinishRun(slot->holder, run.id, kRunError, std::nullopt, spec.status().message());
    // Not recorded: the run stays `running` in the store until its lease expires.
    LogError("runner.no_spec", {{"run", run.id},
                                {"reason", spec.status().message()},
                                {"recorded", ended.ok() ? "yes" : ended.message()}});
  } else {
    StoreObserver observer(queue_, slot->holder, on_change_, options_.on_stage_finished,
                           [this, slot](const std::string& why) { LoseLease(slot, why); });
    SuiteDeps deps = deps_;
    deps.executor = executor_;
    deps.observer = &observer;
    SuiteResult result = RunSuite(*spec, deps, slot->cancel);
    Finish(run, result, slot);
  }
  if (on_change_) on_change_();
  std::lock_guard<std::mutex> l(mu_);
  slot->done = true;
  kicked_ = true;  // a slot is free: look at the queue now, not at the next poll
  cv_.notify_all();
}

void Scheduler::Finish(const Run& run, const SuiteResult& result, Active* slot) {
  if (slot->lease_lost) {
    // Reaped while this worker could not renew its lease: the run is someone else's now.
    LogWarn("runner.not_finished",
            {{"run", run.id}, {"worker", options_.worker}, {"reason", "its lease was lost"}});
    return;
  }
  const Holder& holder = slot->holder;
  bool stopping;
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping = stopping_;
  }
  Status s;
  std::string outcome;
  if (result.cancelled && stopping) {
    s = queue_->RequeueRun(holder, run.id, "queued again: cc-ci was stopped during the run");
    outcome = "requeued";
  } else if (result.cancelled) {
    auto now = runs_->GetRun(run.id);
    std::string reason = "cancelled";
    if (now.ok() && now->superseded_by > 0) {
      reason = "superseded by run " + std::to_string(now->superseded_by) + " (a newer push)";
    } else if (now.ok() && !now->reason.empty()) {
      reason = now->reason;
    }
    s = queue_->FinishRun(holder, run.id, kRunCancelled, std::nullopt, reason);
    outcome = kRunCancelled;
  } else {
    auto level = LevelOf(result.stages);
    if (result.ci_error || level.ci_error) {
      std::string reason = result.ci_error_reason;
      if (reason.empty()) {
        for (const auto& st : result.stages) {
          if (st.status == std::string(kStageError)) {
            reason = st.name + ": " + st.reason;
            break;
          }
        }
      }
      s = queue_->FinishRun(holder, run.id, kRunError, std::nullopt, reason);
      outcome = kRunError;
    } else {
      s = queue_->FinishRun(holder, run.id, kRunFinished, level.level, "");
      outcome = "level " + std::to_string(level.level);
    }
  }
  if (IsLeaseLost(s)) {
    LogWarn("runner.not_finished",
            {{"run", run.id}, {"worker", options_.worker}, {"reason", s.message()}});
    return;
  }
  if (!s.ok()) LogError("runner.finish_failed", {{"run", run.id}, {"reason", s.message()}});
  LogInfo("runner.finished", {{"run", run.id},
                              {"repo", run.repo},
                              {"pr", run.pr},
                              {"outcome", outcome},
                              {"worker", options_.worker}});
  if (options_.on_run_finished) options_.on_run_finished(outcome);
}

}  // namespace ccci::runner
