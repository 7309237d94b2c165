// The reaper's side on the test host (scheduler.h, issue 15): the stacks of runs whose lease
// expired while they were claimed for this worker's server, and, at startup, every stack on
// that server left by a cc-ci run that is no longer running.
#include <filesystem>
#include <regex>
#include <sstream>

#include "base/log.h"
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
      reaped_stacks_.push_back(run);
      any = true;
    }
    if (!any || reaper_running_) return;
    reaper_running_ = true;
    finished.swap(reaper_);  // an earlier batch's thread, which has ended or is ending
    reaper_ = std::thread([this] { ReaperLoop(); });
  }
  if (finished.joinable()) finished.join();
}

bool Scheduler::TearingDown(int64_t id) const {
  if (tearing_down_ == id) return true;
  for (const Run& r : reaped_stacks_) {
    if (r.id == id) return true;
  }
  return false;
}

void Scheduler::ReaperLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!reaped_stacks_.empty()) {
    Run run = reaped_stacks_.front();
    reaped_stacks_.erase(reaped_stacks_.begin());
    // A suite of this worker still holding it (this worker was the one paused past its
    // lease) tears its app down itself.
    auto mine = active_.find(run.id);
    if (mine != active_.end() && !mine->second->done) continue;
    tearing_down_ = run.id;
    lock.unlock();
    auto now = runs_->GetRun(run.id);
    if (now.ok() && now->state == kRunRunning && now->server == run.server &&
        now->worker != options_.worker) {
      // Another worker on this server took it again meanwhile: its install undeploys what
      // is left first, and a teardown now would take its new deploy away. (This worker's own
      // claim of it is only ever the moment before Dispatch gives it back.)
      LogInfo("runner.stack_teardown_skipped",
              {{"run", run.id}, {"worker", now->worker}, {"why", "running again on this server"}});
    } else {
      TearDownStack(run, run.state == kRunError ? "its lease expired for the last time"
                                                : "its lease expired; it is queued again");
    }
    lock.lock();
    tearing_down_ = 0;
    kicked_ = true;  // a run held back while it was torn down may start now
    cv_.notify_all();
  }
  reaper_running_ = false;
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
