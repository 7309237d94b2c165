// The reaper's side on the test host (scheduler.h, issue 15): the stacks of runs whose lease
// expired while they were claimed for this worker's server, torn down while the run is taken
// over (then queued again), and, at startup, every stack on that server left by a cc-ci run
// that is no longer running.
#include <filesystem>
#include <regex>
#include <sstream>

#include "base/log.h"
#include "base/thread_name.h"
#include "bot/runner/command_output.h"
#include "bot/runner/scheduler.h"
#include "bot/runner/stage_log.h"

namespace ccci::runner {

void Scheduler::TearDownStack(const Run& run, const std::string& why) {
  auto spec = SpecFor(run);
  if (!spec.ok()) {
    LogWarn("runner.stack_teardown_failed",
            {{"run", run.id}, {"why", why}, {"reason", spec.status().message()}});
    return;
  }
  const std::string stack = StackName(spec->domain);
  std::error_code ec;
  bool set_up_here = std::filesystem::exists(spec->work_dir + "/abra", ec);
  LogWarn("runner.stack_teardown",
          {{"run", run.id},
           {"stack", stack},
           {"server", spec->server},
           {"state", run.state},
           {"why", why},
           {"how", set_up_here ? "abra (its work dir is here)" : "docker"}});
  if (set_up_here) return TearDown(run);
  SuiteDeps deps = deps_;
  deps.executor = executor_;
  deps.observer = nullptr;
  StageRecord st = RemoveStack(*spec, deps);
  if (st.status != std::string(kStagePass)) {
    LogWarn("runner.stack_teardown_failed",
            {{"run", run.id}, {"stack", stack}, {"reason", st.reason}});
  }
}

void Scheduler::QueueStackTeardowns(const std::vector<Run>& reaped) {
  const std::string& server = options_.defaults.server;
  std::thread finished;
  {
    std::lock_guard<std::mutex> l(mu_);
    bool any = false;
    for (const Run& run : reaped) {
      if (run.server.empty() || run.server != server) continue;  // its stack is elsewhere
      bool mine = !run.reaped_from.empty() && run.worker == options_.worker;
      if (!mine && run.state != kRunError) continue;  // queued: no take-over to tear down under
      reaped_stacks_.push_back(run);
      any = true;
    }
    if (!any || reaper_running_) return;
    reaper_running_ = true;
    finished.swap(reaper_);  // an earlier batch's thread, which has ended or is ending
    reaper_ = NamedThread("runner-reaper", [this] { ReaperLoop(); });
  }
  if (finished.joinable()) finished.join();
}

void Scheduler::ReaperLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!reaped_stacks_.empty()) {
    Run run = reaped_stacks_.front();
    reaped_stacks_.erase(reaped_stacks_.begin());
    tearing_down_ = run;
    // A suite of this worker still holding the lost attempt (this worker's own lease expired:
    // it was paused, or the store did not answer its beats) is stopped now, not at its next
    // beat, and tears its app down itself; the run is queued again once it has.
    auto mine = active_.find(run.id);
    bool own_suite = mine != active_.end() && !mine->second->done;
    if (own_suite) {
      LoseLease(mine->second.get(), "run " + std::to_string(run.id) +
                                        " was reaped: its lease expired before it was renewed");
      cv_.wait(lock, [&] {
        auto it = active_.find(run.id);
        return it == active_.end() || it->second->done;
      });
    }
    lock.unlock();
    ReapStack(run, own_suite);
    lock.lock();
    tearing_down_ = Run{};
  }
  reaper_running_ = false;
}

void Scheduler::ReapStack(const Run& run, bool torn_down) {
  bool taken_over = !run.reaped_from.empty();
  Holder holder{options_.worker, run.attempts};
  if (taken_over) {
    // The take-over may have been lost meanwhile (this worker was paused past its lease and
    // another reaper took the run over, or queued it): then the stack is not this worker's
    // to touch.
    auto now = runs_->GetRun(run.id);
    if (now.ok() && (now->state != kRunRunning || now->worker != holder.worker ||
                     now->attempts != holder.attempt || now->reaped_from.empty())) {
      LogInfo("runner.stack_teardown_skipped", {{"run", run.id},
                                                {"state", now->state},
                                                {"worker", now->worker},
                                                {"why", "no longer taken over by this worker"}});
      return;
    }
  }
  if (!torn_down) {
    TearDownStack(run, taken_over ? "its lease expired; it is queued again once torn down"
                                  : "its lease expired for the last time");
  }
  if (!taken_over) return;
  Status s = queue_->RequeueTakenOver(holder, run.id);
  if (!s.ok()) {
    LogWarn("runner.reaped_not_requeued", {{"run", run.id}, {"reason", s.message()}});
    return;
  }
  LogInfo("runner.reaped_requeued", {{"run", run.id}, {"attempts", run.attempts}});
  if (on_change_) on_change_();
  Kick();
}

namespace {

// The run ids a stack name may belong to: RunDomain() ends in "-<pr>-<id>", then the domain
// suffix (dots made underscores by StackName); a name cut at 45 characters may have lost
// them. Only names of the characters RunDomain and StackName produce are looked at.
std::vector<int64_t> CandidateRunIds(const std::string& stack) {
  std::vector<int64_t> ids;
  static const std::regex kName("[a-z0-9_-]+");
  if (!std::regex_match(stack, kName)) return ids;
  static const std::regex kTail("-[0-9]+-([0-9]{1,18})(?=_|$)");
  for (std::sregex_iterator it(stack.begin(), stack.end(), kTail), end; it != end; ++it) {
    ids.push_back(std::stoll((*it)[1].str()));
  }
  return ids;
}

}  // namespace

void Scheduler::SweepStacks() {
  const SuiteSpec& d = options_.defaults;
  Command cmd;
  cmd.argv = {d.docker, "--context", d.server, "stack", "ls", "--format", "{{.Name}}"};
  cmd.pass_env = d.pass_env;
  cmd.timeout = std::chrono::minutes(1);
  CaptureSink out(nullptr);
  CancelToken never;
  auto r = executor_->Run(cmd, out, never);
  if (!r.ok() || !r->ok()) {
    LogWarn("runner.stack_sweep_failed",
            {{"server", d.server},
             {"reason", !r.ok() ? r.status().message() : LastLine(StripAnsi(out.text()))}});
    return;
  }
  std::istringstream names(StripAnsi(out.text()));
  int swept = 0;
  for (std::string stack; names >> stack;) {
    for (int64_t id : CandidateRunIds(stack)) {
      auto run = runs_->GetRun(id);
      if (!run.ok()) continue;
      auto spec = SpecFor(*run);
      if (!spec.ok() || StackName(spec->domain) != stack) continue;  // not this run's stack
      if (run->state == kRunRunning) break;  // its worker (here or on this server) has it
      TearDownStack(*run, "a stack left on this server by a run that is " + run->state);
      if (++swept == 100) {  // bounded; the next start goes on
        LogWarn("runner.stack_sweep_stopped", {{"server", d.server}, {"swept", swept}});
        return;
      }
      break;
    }
  }
  if (swept > 0) LogInfo("runner.stack_sweep", {{"server", d.server}, {"swept", swept}});
}

}  // namespace ccci::runner
