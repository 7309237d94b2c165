#include "supervisor/watchdog.h"

#include <unistd.h>

#include "base/log.h"
#include "supervisor/backend.h"

namespace ccci::supervisor {
namespace {

int64_t Ms(Seconds s) { return static_cast<int64_t>(s.count()) * 1000; }

Result<std::string> ReadPrompt(const SupervisorConfig& config, const std::string& name) {
  std::string path = config.repo + "/" + config.prompts_dir + "/" + name + ".md";
  Result<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return NotFound("missing prompt file: " + text.status().message());
  return text;
}

}  // namespace

const std::vector<std::string>& LoopNames() {
  static const std::vector<std::string> kNames = {"builder", "reviewer"};
  return kNames;
}

const std::vector<std::string>& AgentNames() {
  static const std::vector<std::string> kNames = {"builder", "reviewer", kOrchestrator};
  return kNames;
}

Watchdog::Watchdog(const SupervisorConfig& config, Clock* clock, ProcessLauncher* launcher,
                   RepoProbe* repo, const StateStore* store, std::function<double()> rng,
                   std::map<std::string, std::string> env)
    : config_(config), clock_(clock), repo_(repo), store_(store) {
  ctx_.config = &config_;
  ctx_.clock = clock;
  ctx_.launcher = launcher;
  ctx_.store = store;
  ctx_.rng = std::move(rng);
  ctx_.env = std::move(env);
  for (const std::string& name : LoopNames()) {
    agents_[name] = std::make_unique<AgentSupervisor>(
        name, Role::kLoop, &ctx_,
        [this, name](const SessionStart& start) { return LoopPrompt(name, start); });
  }
  agents_[kOrchestrator] = std::make_unique<AgentSupervisor>(
      kOrchestrator, Role::kOrchestrator, &ctx_,
      [this](const SessionStart& start) { return OrchestratorPrompt(start); });
  last_progress_ms_ = clock_->NowUnixMillis();
  info_.plan_source = repo_->PlanSource();
}

Result<std::string> Watchdog::LoopPrompt(const std::string& loop, const SessionStart& start) {
  Result<std::string> role = ReadPrompt(config_, loop);
  if (!role.ok()) return role.status();
  return ComposePrompt(*role, loop, info_.phase_file, start.iteration, start.interrupted);
}

Result<std::string> Watchdog::OrchestratorPrompt(const SessionStart& start) {
  std::string role;
  if (!start.resume) {  // a resumed conversation has its role already
    Result<std::string> text = ReadPrompt(config_, kOrchestrator);
    if (!text.ok()) return text.status();
    role = *text;
  }
  return ComposeOrchestratorPrompt(role, info_.phase_file, start);
}

void Watchdog::Recover() {
  for (const std::string& name : AgentNames()) {
    Result<LoopState> saved = store_->LoadLoop(name);
    if (saved.ok()) agents_[name]->Recover(*saved);
  }
}

Watchdog::Outcome Watchdog::Tick() {
  int64_t now = clock_->NowUnixMillis();
  if (last_repo_check_ms_ < 0 || now - last_repo_check_ms_ >= Ms(config_.progress_every)) {
    last_repo_check_ms_ = now;
    CheckRepo(now);
  }
  if (all_done_) {
    for (const std::string& name : AgentNames()) {
      AgentSupervisor& agent = *agents_[name];
      agent.Stop("plan done");
      agent.mutable_state().phase = LoopPhase::kDone;
      agent.mutable_state().last_reason = "plan done";
      agent.Save();
    }
    return Outcome::kAllDone;
  }
  for (const std::string& name : AgentNames()) {
    AgentSupervisor& agent = *agents_[name];
    TickAgent(agent, now);
    agent.Save();
  }
  return Outcome::kContinue;
}

void Watchdog::CheckRepo(int64_t now) {
  Result<std::string> stamp = repo_->ProgressStamp();
  if (stamp.ok() && *stamp != progress_stamp_) {
    progress_stamp_ = *stamp;
    last_progress_ms_ = now;
  }
  CheckPlan(now);
  info_.pid = getpid();
  info_.last_commit = repo_->LastCommit();
  info_.next_check_ms = now + Ms(config_.progress_every);
  Status st = store_->SaveWatchdog(info_);
  if (!st.ok()) LogError("supervisor.state_write_failed", {{"reason", st.ToString()}});
}

void Watchdog::CheckPlan(int64_t now) {
  Result<PlanStatus> plan = repo_->ReadPlan();
  if (!plan.ok()) {
    // Never mistaken for DONE, nor for not-DONE for ever: the loops carry on, the last known
    // phase stays, and the read is retried at the next check.
    ++info_.check_failures;
    info_.check_error = plan.status().message();
    LogWarn("plan.check_failed", {{"source", info_.plan_source},
                                  {"failures", info_.check_failures},
                                  {"reason", info_.check_error}});
    return;
  }
  if (info_.check_failures > 0) {
    LogInfo("plan.check_recovered",
            {{"source", info_.plan_source}, {"failures", info_.check_failures}});
  }
  if (info_.phase_file != plan->CurrentFile() && !info_.phase_file.empty()) {
    LogInfo("plan.phase_done", {{"phase", info_.phase_file}, {"next", plan->CurrentFile()}});
  }
  info_.phase_file = plan->CurrentFile();
  info_.phase_index = static_cast<int>(plan->current) + 1;
  info_.phase_count = static_cast<int>(plan->phases.size());
  info_.all_done = plan->AllDone();
  info_.checked_at_ms = now;
  info_.check_failures = 0;
  info_.check_error.clear();
  all_done_ = info_.all_done;
  if (all_done_) {
    LogInfo("plan.done", {{"phases", info_.phase_count}, {"source", info_.plan_source}});
  }
  for (auto& [name, agent] : agents_) {
    if (!all_done_ && agent->state().phase == LoopPhase::kDone) {
      agent->mutable_state().phase = LoopPhase::kStopped;
    }
  }
}

void Watchdog::TickAgent(AgentSupervisor& agent, int64_t now) {
  const std::string& name = agent.state().name;
  Want want = store_->ReadWant(name);
  if (!want.run) {
    if (agent.state().agent.pid != 0) {
      agent.Stop("stopped by operator");
      LogInfo("loop.stopped", {{"loop", name}});
    }
    if (agent.state().phase != LoopPhase::kDone) agent.mutable_state().phase = LoopPhase::kStopped;
    return;
  }
  if (want.generation != agent.state().want_generation) {
    agent.mutable_state().want_generation = want.generation;
    agent.ClearFatal();
  }
  agent.Tick(now, last_progress_ms_);
}

int Watchdog::Run(const std::atomic<bool>& stop, const std::function<void(Seconds)>& sleep) {
  Recover();
  while (!stop.load()) {
    if (Tick() == Outcome::kAllDone) return 0;
    sleep(config_.tick);
  }
  return 0;
}

}  // namespace ccci::supervisor
