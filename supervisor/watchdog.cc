#include "supervisor/watchdog.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "base/log.h"
#include "supervisor/backend.h"
#include "supervisor/stream_event.h"

namespace ccci::supervisor {
namespace {

int64_t Ms(Seconds s) { return static_cast<int64_t>(s.count()) * 1000; }

}  // namespace

const std::vector<std::string>& LoopNames() {
  static const std::vector<std::string> kNames = {"builder", "reviewer"};
  return kNames;
}

Watchdog::Watchdog(const SupervisorConfig& config, Clock* clock, ProcessLauncher* launcher,
                   RepoProbe* repo, const StateStore* store, std::function<double()> rng,
                   std::map<std::string, std::string> env)
    : config_(config),
      clock_(clock),
      launcher_(launcher),
      repo_(repo),
      store_(store),
      rng_(std::move(rng)),
      env_(std::move(env)) {
  for (const std::string& name : LoopNames()) loops_[name].name = name;
  last_progress_ms_ = clock_->NowUnixMillis();
}

RotatingLog& Watchdog::LoopLog(const std::string& name) {
  auto& log = logs_[name];
  if (!log) {
    log = std::make_unique<RotatingLog>(store_->LogPath(name), config_.log_max_bytes,
                                        config_.log_keep);
  }
  return *log;
}

void Watchdog::Save(const LoopState& s) {
  std::string json = LoopStateToJson(s);
  if (saved_json_[s.name] == json) return;
  Status st = WriteFileAtomically(store_->LoopPath(s.name), json);
  if (!st.ok()) {
    LogError("supervisor.state_write_failed", {{"loop", s.name}, {"reason", st.ToString()}});
    return;
  }
  saved_json_[s.name] = json;
}

void Watchdog::Recover() {
  for (const std::string& name : LoopNames()) {
    Result<LoopState> saved = store_->LoadLoop(name);
    if (!saved.ok()) continue;
    LoopState& s = loops_[name];
    s = *saved;
    if (s.agent.pid == 0) continue;
    if (launcher_->Adopt(s.agent)) {
      s.phase = LoopPhase::kRunning;
      LogInfo("loop.adopted", {{"loop", name}, {"pid", s.agent.pid}});
      continue;
    }
    // The agent died while no watchdog was watching: clear what its group left behind.
    launcher_->StopGroup(s.agent, config_.stop_grace);
    LogWarn("loop.lost", {{"loop", name}, {"pid", s.agent.pid}});
    s.agent = AgentHandle{};
    if (s.phase == LoopPhase::kRunning) {
      s.phase = LoopPhase::kStopped;
      s.resume_next = !s.session_id.empty();
      s.restart_pending = true;
      s.last_reason = "agent gone while the supervisor was down";
    }
  }
}

Watchdog::Outcome Watchdog::Tick() {
  int64_t now = clock_->NowUnixMillis();
  if (last_repo_check_ms_ < 0 || now - last_repo_check_ms_ >= Ms(config_.progress_every)) {
    last_repo_check_ms_ = now;
    CheckRepo(now);
  }
  if (all_done_) {
    for (auto& [name, s] : loops_) {
      StopAgent(s);
      s.phase = LoopPhase::kDone;
      s.last_reason = "plan done";
      Save(s);
    }
    return Outcome::kAllDone;
  }
  for (const std::string& name : LoopNames()) {
    LoopState& s = loops_[name];
    TickLoop(s, now);
    Save(s);
  }
  return Outcome::kContinue;
}

void Watchdog::CheckRepo(int64_t now) {
  Result<std::string> stamp = repo_->ProgressStamp();
  if (stamp.ok() && *stamp != progress_stamp_) {
    progress_stamp_ = *stamp;
    last_progress_ms_ = now;
  }
  Result<PlanStatus> plan = repo_->ReadPlan();
  if (!plan.ok()) {
    // Never mistaken for DONE: the loops carry on and the check is retried.
    LogWarn("plan.check_failed", {{"reason", plan.status().ToString()}});
  } else {
    if (info_.phase_file != plan->CurrentFile() && !info_.phase_file.empty()) {
      LogInfo("plan.phase_done", {{"phase", info_.phase_file}, {"next", plan->CurrentFile()}});
    }
    info_.phase_file = plan->CurrentFile();
    info_.phase_index = static_cast<int>(plan->current) + 1;
    info_.phase_count = static_cast<int>(plan->phases.size());
    info_.all_done = plan->AllDone();
    info_.checked_at_ms = now;
    all_done_ = info_.all_done;
    if (all_done_) LogInfo("plan.done", {{"phases", info_.phase_count}});
    for (auto& [name, s] : loops_) {
      if (!all_done_ && s.phase == LoopPhase::kDone) s.phase = LoopPhase::kStopped;
    }
  }
  info_.pid = getpid();
  info_.last_commit = repo_->LastCommit();
  Status st = store_->SaveWatchdog(info_);
  if (!st.ok()) LogError("supervisor.state_write_failed", {{"reason", st.ToString()}});
}

void Watchdog::TickLoop(LoopState& s, int64_t now) {
  Want want = store_->ReadWant(s.name);
  if (!want.run) {
    if (s.agent.pid != 0) {
      StopAgent(s);
      s.last_reason = "stopped by operator";
      LogInfo("loop.stopped", {{"loop", s.name}});
    }
    if (s.phase != LoopPhase::kDone) s.phase = LoopPhase::kStopped;
    return;
  }
  if (want.generation != s.want_generation) {
    s.want_generation = want.generation;
    if (s.phase == LoopPhase::kFatal) {
      s.phase = LoopPhase::kStopped;
      s.crash_times_ms.clear();
      s.backoff_level = 0;
      LogInfo("loop.fatal_cleared", {{"loop", s.name}});
    }
  }
  switch (s.phase) {
    case LoopPhase::kFatal:
    case LoopPhase::kDone:
      return;
    case LoopPhase::kStopped:
      Launch(s, now);
      return;
    case LoopPhase::kBackoff:
    case LoopPhase::kRateLimited:
      if (now >= s.wait_until_ms) Launch(s, now);
      return;
    case LoopPhase::kRunning:
      Supervise(s, now);
      return;
  }
}

void Watchdog::Supervise(LoopState& s, int64_t now) {
  Consume(s, launcher_->ReadLines(s.agent, false), now);
  PollResult poll = launcher_->Poll(s.agent);
  if (!poll.running) {
    Consume(s, launcher_->ReadLines(s.agent, true), now);
    launcher_->StopGroup(s.agent, config_.stop_grace);  // whatever it left behind
    bool exit_ok = !poll.exit_code.has_value() || *poll.exit_code == 0;
    // claude says how a session ended in its final `result`; opencode prints plain text, so
    // its exit status is all there is (unknown for an adopted process: given the benefit).
    bool clean = config_.backend == Backend::kOpencode
                     ? exit_ok
                     : s.result_at_ms != 0 && !s.result_is_error && exit_ok;
    if (!clean) {
      s.last_reason = "exited" + (poll.exit_code ? " with status " + std::to_string(*poll.exit_code)
                                                 : std::string(" (adopted, status unknown)"));
    }
    OnExit(s, now, clean);
    return;
  }
  if (s.rate_limit_until_ms > now) {
    LogWarn("loop.rate_limited",
            {{"loop", s.name}, {"until", FormatRfc3339Millis(s.rate_limit_until_ms)}});
    StopAgent(s);
    OnExit(s, now, false);
    return;
  }
  if (s.result_at_ms != 0 && now - s.result_at_ms >= Ms(config_.result_grace)) {
    LogWarn("loop.hung_after_result", {{"loop", s.name}, {"pid", s.agent.pid}});
    StopAgent(s);
    ++s.heals;
    s.last_reason = "killed: still running " + std::to_string(config_.result_grace.count()) +
                    "s after its result";
    OnExit(s, now, !s.result_is_error);
    return;
  }
  if (now - s.last_output_at_ms >= Ms(config_.stall_after)) {
    Heal(s, now, "stall: no output for " + std::to_string(config_.stall_after.count()) + "s");
    return;
  }
  if (now - std::max(last_progress_ms_, s.started_at_ms) >= Ms(config_.no_progress_after)) {
    Heal(s, now,
         "no progress: no commit or journal change for " +
             std::to_string(config_.no_progress_after.count()) + "s");
  }
}

void Watchdog::Consume(LoopState& s, const std::vector<std::string>& lines, int64_t now) {
  if (lines.empty()) return;
  RotatingLog& log = LoopLog(s.name);
  std::string ts = FormatRfc3339Millis(now);
  for (const std::string& line : lines) {
    log.Append(ts + " " + line);
    s.last_output_at_ms = now;
    s.last_output = SummarizeLine(line);
    StreamEvent ev = ParseStreamLine(line);
    if (ev.kind == StreamEvent::Kind::kInit && !ev.session_id.empty()) {
      s.session_id = ev.session_id;
      s.init_seen = true;
    } else if (ev.kind == StreamEvent::Kind::kResult) {
      s.result_at_ms = now;
      s.result_is_error = ev.is_error;
    } else if (ev.Blocks()) {
      int64_t until =
          ev.resets_at_unix ? *ev.resets_at_unix * 1000 : now + Ms(config_.rate_limit_fallback);
      s.rate_limit_until_ms =
          std::clamp(until, now + Ms(config_.rate_limit_min), now + Ms(config_.rate_limit_max));
    }
  }
}

void Watchdog::Launch(LoopState& s, int64_t now) {
  Result<std::string> role =
      ReadWholeFile(config_.repo + "/" + config_.prompts_dir + "/" + s.name + ".md");
  SessionRequest req;
  req.loop = s.name;
  bool resume = s.resume_next && !s.session_id.empty();
  if (config_.backend == Backend::kClaude && resume) req.resume_id = s.session_id;
  req.title = "cc-ci " + s.name + " #" + std::to_string(s.iteration + 1);
  req.prompt = ComposePrompt(role.ok() ? *role : "", s.name, info_.phase_file, s.iteration + 1,
                             s.resume_next);
  s.started_at_ms = now;
  if (!role.ok()) {
    RecordCrash(s, now, "missing prompt file: " + role.status().message());
    return;
  }
  Result<AgentHandle> h =
      launcher_->Launch(BuildAgentCommand(config_, req, env_), store_->OutputPath(s.name));
  if (!h.ok()) {
    RecordCrash(s, now, "launch failed: " + h.status().message());
    return;
  }
  s.agent = *h;
  s.phase = LoopPhase::kRunning;
  ++s.iteration;
  if (s.restart_pending) ++s.restarts;
  s.restart_pending = false;
  s.last_output_at_ms = now;
  s.result_at_ms = 0;
  s.result_is_error = false;
  s.rate_limit_until_ms = 0;
  s.wait_until_ms = 0;
  s.resume_next = false;
  s.resumed = !req.resume_id.empty();
  s.init_seen = false;
  LogInfo("loop.launched", {{"loop", s.name},
                            {"pid", s.agent.pid},
                            {"iteration", s.iteration},
                            {"resume", req.resume_id}});
}

void Watchdog::OnExit(LoopState& s, int64_t now, bool clean) {
  s.agent = AgentHandle{};
  if (s.rate_limit_until_ms > now) {
    s.phase = LoopPhase::kRateLimited;
    s.wait_until_ms = s.rate_limit_until_ms;
    s.resume_next = !s.session_id.empty();
    s.restart_pending = true;
    s.last_reason = "rate limited until " + FormatRfc3339Millis(s.wait_until_ms);
    return;
  }
  if (clean) {
    // A finished iteration: next one is a fresh session, but never more than one per
    // backoff_initial, so an agent that returns at once cannot spin.
    s.backoff_level = 0;
    s.phase = LoopPhase::kBackoff;
    s.wait_until_ms = std::max(now, s.started_at_ms + Ms(config_.backoff_initial));
    s.resume_next = false;
    if (s.last_reason.rfind("killed", 0) != 0) s.last_reason = "iteration finished";
    LogInfo("loop.iteration_done", {{"loop", s.name}, {"iteration", s.iteration}});
    if (now >= s.wait_until_ms) Launch(s, now);
    return;
  }
  if (s.resumed && !s.init_seen) {
    // claude refused the resume (e.g. "No conversation found"): resuming the same id again
    // would only crash again, so the next session starts fresh, oriented by the journal.
    LogWarn("loop.resume_refused", {{"loop", s.name}, {"session", s.session_id}});
    s.session_id.clear();
    s.last_reason += "; resume of the previous session failed, next session starts fresh";
  }
  RecordCrash(s, now, s.last_reason.empty() ? "crashed" : s.last_reason);
}

void Watchdog::RecordCrash(LoopState& s, int64_t now, const std::string& reason) {
  s.agent = AgentHandle{};
  s.last_reason = reason;
  if (now - s.started_at_ms >= Ms(config_.stable_after)) {
    s.backoff_level = 0;
    s.crash_times_ms.clear();
  }
  s.crash_times_ms.push_back(now);
  std::erase_if(s.crash_times_ms, [&](int64_t t) { return now - t >= Ms(config_.fatal_window); });
  if (static_cast<int>(s.crash_times_ms.size()) >= config_.fatal_crashes) {
    s.phase = LoopPhase::kFatal;
    s.last_reason = std::to_string(s.crash_times_ms.size()) + " crashes within " +
                    std::to_string(config_.fatal_window.count()) + "s; last: " + reason;
    LogError("loop.fatal", {{"loop", s.name}, {"reason", s.last_reason}});
    return;
  }
  double base = static_cast<double>(Ms(config_.backoff_initial)) *
                std::pow(2.0, std::min(s.backoff_level, 30));
  double jitter = 1.0 + config_.backoff_jitter * (2.0 * rng_() - 1.0);
  int64_t delay =
      static_cast<int64_t>(std::min(base, static_cast<double>(Ms(config_.backoff_max))) * jitter);
  delay = std::clamp<int64_t>(delay, 1, Ms(config_.backoff_max));
  ++s.backoff_level;
  s.restart_pending = true;
  s.phase = LoopPhase::kBackoff;
  s.wait_until_ms = now + delay;
  s.resume_next = !s.session_id.empty();
  LogWarn("loop.crashed",
          {{"loop", s.name}, {"reason", reason}, {"backoff_ms", static_cast<long long>(delay)}});
}

void Watchdog::Heal(LoopState& s, int64_t now, const std::string& reason) {
  LogWarn("loop.heal", {{"loop", s.name}, {"pid", s.agent.pid}, {"reason", reason}});
  StopAgent(s);
  ++s.heals;
  s.last_reason = reason;
  s.resume_next = !s.session_id.empty();
  s.phase = LoopPhase::kStopped;
  s.restart_pending = true;
  Launch(s, now);
}

void Watchdog::StopAgent(LoopState& s) {
  if (s.agent.pid == 0) return;
  launcher_->StopGroup(s.agent, config_.stop_grace);
  Consume(s, launcher_->ReadLines(s.agent, true), clock_->NowUnixMillis());
  launcher_->Poll(s.agent);  // reaps it when it is our child
  s.agent = AgentHandle{};
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
