#include "supervisor/agent_supervisor.h"

#include <algorithm>
#include <cmath>

#include "base/log.h"
#include "supervisor/stream_event.h"

namespace ccci::supervisor {
namespace {

// What claude prints (on stderr, then exits 1) when asked to resume a session it does not
// have: the session files were removed, or it runs as another user or on another machine.
constexpr const char kNoConversation[] = "No conversation found";
// opencode's word for the same (`run -s ID` of an unknown session), on stderr, exit 1.
constexpr const char kNoSession[] = "Session not found";

}  // namespace

AgentSupervisor::AgentSupervisor(std::string name, Role role, const AgentContext* ctx,
                                 PromptFn prompt)
    : role_(role), ctx_(ctx), config_(*ctx->config), prompt_(std::move(prompt)) {
  s_.name = std::move(name);
}

RotatingLog& AgentSupervisor::Log() {
  if (!log_) {
    log_ = std::make_unique<RotatingLog>(ctx_->store->LogPath(s_.name), config_.log_max_bytes,
                                         config_.log_keep);
  }
  return *log_;
}

void AgentSupervisor::Save() {
  std::string json = LoopStateToJson(s_);
  if (saved_json_ == json) return;
  Status st = WriteFileAtomically(ctx_->store->LoopPath(s_.name), json);
  if (!st.ok()) {
    LogError("supervisor.state_write_failed", {{"loop", s_.name}, {"reason", st.ToString()}});
    return;
  }
  saved_json_ = json;
}

void AgentSupervisor::Recover(LoopState saved) {
  s_ = std::move(saved);
  if (s_.agent.pid == 0) return;
  ProcessLauncher* launcher = ctx_->launcher;
  if (launcher->Adopt(s_.agent)) {
    s_.phase = LoopPhase::kRunning;
    LogInfo("loop.adopted", {{"loop", s_.name}, {"pid", s_.agent.pid}});
    return;
  }
  bool rebooted = !launcher->FromThisBoot(s_.agent);
  // The agent died while no watchdog was watching: clear what its group left behind (not
  // after a reboot, when that group number may be anybody's; StopGroup checks that too).
  launcher->StopGroup(s_.agent, config_.stop_grace);
  LogWarn("loop.lost", {{"loop", s_.name}, {"pid", s_.agent.pid}, {"rebooted", rebooted}});
  s_.agent = AgentHandle{};
  if (s_.phase == LoopPhase::kRunning) {
    s_.phase = LoopPhase::kStopped;
    s_.resume_next = !s_.session_id.empty();
    s_.restart_pending = true;
    s_.last_reason = rebooted ? "the machine restarted while the agent ran"
                              : "agent gone while the supervisor was down";
  }
}

void AgentSupervisor::ClearFatal() {
  if (s_.phase != LoopPhase::kFatal) return;
  s_.phase = LoopPhase::kStopped;
  s_.crash_times_ms.clear();
  s_.backoff_level = 0;
  LogInfo("loop.fatal_cleared", {{"loop", s_.name}});
}

void AgentSupervisor::Tick(int64_t now, int64_t last_progress_ms) {
  switch (s_.phase) {
    case LoopPhase::kFatal:
    case LoopPhase::kDone:
    case LoopPhase::kFinished:
    case LoopPhase::kFailed:
      return;
    case LoopPhase::kStopped:
      Launch(now);
      return;
    case LoopPhase::kBackoff:
    case LoopPhase::kRateLimited:
      if (now >= s_.wait_until_ms) Launch(now);
      return;
    case LoopPhase::kRunning:
      Supervise(now, last_progress_ms);
      return;
  }
}

void AgentSupervisor::Supervise(int64_t now, int64_t last_progress_ms) {
  ProcessLauncher* launcher = ctx_->launcher;
  Consume(launcher->ReadLines(s_.agent, false), now);
  PollResult poll = launcher->Poll(s_.agent);
  if (!poll.running) {
    Consume(launcher->ReadLines(s_.agent, true), now);
    launcher->StopGroup(s_.agent, config_.stop_grace);  // whatever it left behind
    bool exit_ok = !poll.exit_code.has_value() || *poll.exit_code == 0;
    s_.exit_code = poll.exit_code.value_or(-1);
    // claude says how a session ended in its final `result`; opencode only in an `error`
    // event, so otherwise its exit status is all there is (unknown for an adopted process:
    // given the benefit).
    bool clean = config_.backend == Backend::kOpencode
                     ? exit_ok && !s_.result_is_error
                     : s_.result_at_ms != 0 && !s_.result_is_error && exit_ok;
    if (!clean) {
      if (!exit_ok) {
        s_.last_reason = "exited with status " + std::to_string(*poll.exit_code);
      } else if (s_.result_at_ms != 0) {
        s_.last_reason = "exited after an error result";
      } else {
        s_.last_reason = poll.exit_code ? "exited with status 0 without a result"
                                        : "exited (adopted, status unknown) without a result";
      }
    }
    OnExit(now, clean);
    return;
  }
  if (s_.rate_limit_until_ms > now) {
    LogWarn("loop.rate_limited",
            {{"loop", s_.name}, {"until", FormatRfc3339Millis(s_.rate_limit_until_ms)}});
    StopAgent();
    OnExit(now, false);
    return;
  }
  if (s_.result_at_ms != 0 && now - s_.result_at_ms >= Ms(config_.result_grace)) {
    LogWarn("loop.hung_after_result", {{"loop", s_.name}, {"pid", s_.agent.pid}});
    StopAgent();
    ++s_.heals;
    s_.last_reason = "killed: still running " + std::to_string(config_.result_grace.count()) +
                     "s after its result";
    OnExit(now, !s_.result_is_error);
    return;
  }
  Seconds stall_after =
      role_ == Role::kOrchestrator ? config_.orchestrator_stall_after : config_.stall_after;
  if (now - s_.last_output_at_ms >= Ms(stall_after)) {
    Heal(now, "stall: no output for " + std::to_string(stall_after.count()) + "s");
    return;
  }
  // The orchestrator steers and a job has its own timeout: neither owes the repo commits.
  if (role_ == Role::kLoop &&
      now - std::max(last_progress_ms, s_.started_at_ms) >= Ms(config_.no_progress_after)) {
    Heal(now, "no progress: no commit or journal change for " +
                  std::to_string(config_.no_progress_after.count()) + "s");
  }
}

void AgentSupervisor::Consume(const std::vector<std::string>& lines, int64_t now) {
  if (lines.empty()) return;
  RotatingLog& log = Log();
  std::string ts = FormatRfc3339Millis(now);
  for (const std::string& line : lines) {
    log.Append(ts + " " + line);
    if (sink_) sink_(line);
    s_.last_output_at_ms = now;
    s_.last_output = SummarizeLine(line);
    StreamEvent ev = ParseStreamLine(line);
    if (ev.auth_failure) auth_failure_ = ev.message.empty() ? "authentication failed" : ev.message;
    // opencode has no init line: its first event names the session.
    if ((ev.kind == StreamEvent::Kind::kInit || (ev.opencode && !s_.init_seen)) &&
        !ev.session_id.empty()) {
      s_.session_id = ev.session_id;
      s_.init_seen = true;
    }
    if (ev.kind == StreamEvent::Kind::kResult) {
      s_.result_at_ms = now;
      s_.result_is_error = ev.is_error;
    } else if (ev.Blocks()) {
      int64_t until =
          ev.resets_at_unix ? *ev.resets_at_unix * 1000 : now + Ms(config_.rate_limit_fallback);
      s_.rate_limit_until_ms =
          std::clamp(until, now + Ms(config_.rate_limit_min), now + Ms(config_.rate_limit_max));
    } else if (ev.kind == StreamEvent::Kind::kText && s_.resumed && !s_.init_seen &&
               (line.find(kNoConversation) != std::string::npos ||
                line.find(kNoSession) != std::string::npos)) {
      s_.resume_refused = true;
    }
  }
}

void AgentSupervisor::Launch(int64_t now) {
  SessionStart start;
  start.iteration = s_.iteration + 1;
  start.interrupted = s_.resume_next;
  start.reason = s_.last_reason;
  start.lost_session = lost_session_;
  // The orchestrator is one conversation: whenever it has an id, it goes on with it.
  bool resume = !s_.session_id.empty() && (s_.resume_next || role_ == Role::kOrchestrator);
  start.resume = resume;
  SessionRequest req;
  req.loop = s_.name;
  if (start.resume) req.resume_id = s_.session_id;
  req.title = "cc-ci " + s_.name + " #" + std::to_string(start.iteration);
  s_.started_at_ms = now;
  Result<std::string> prompt = prompt_(start);
  if (!prompt.ok()) {
    LaunchFailed(now, prompt.status().message());
    return;
  }
  req.prompt = *prompt;
  Result<AgentHandle> h = ctx_->launcher->Launch(BuildAgentCommand(config_, req, ctx_->env),
                                                 ctx_->store->OutputPath(s_.name));
  if (!h.ok()) {
    LaunchFailed(now, "launch failed: " + h.status().message());
    return;
  }
  s_.agent = *h;
  s_.phase = LoopPhase::kRunning;
  ++s_.iteration;
  if (s_.restart_pending) ++s_.restarts;
  s_.restart_pending = false;
  s_.last_output_at_ms = now;
  s_.result_at_ms = 0;
  s_.result_is_error = false;
  s_.rate_limit_until_ms = 0;
  s_.wait_until_ms = 0;
  s_.resume_next = false;
  s_.resumed = !req.resume_id.empty();
  s_.init_seen = false;
  s_.resume_refused = false;
  s_.exit_code = -1;
  auth_failure_.clear();
  // A note explains the conversation that runs; a new conversation needs none.
  if (!s_.resumed && lost_session_.empty()) s_.session_note.clear();
  lost_session_.clear();
  LogInfo("loop.launched", {{"loop", s_.name},
                            {"pid", s_.agent.pid},
                            {"iteration", s_.iteration},
                            {"resume", req.resume_id}});
}

void AgentSupervisor::OnExit(int64_t now, bool clean) {
  s_.agent = AgentHandle{};
  if (s_.rate_limit_until_ms > now) {
    s_.phase = LoopPhase::kRateLimited;
    s_.wait_until_ms = s_.rate_limit_until_ms;
    s_.resume_next = !s_.session_id.empty();
    s_.restart_pending = true;
    s_.last_reason = "rate limited until " + FormatRfc3339Millis(s_.wait_until_ms);
    return;
  }
  if (s_.resume_refused) {
    RestartFresh(now);
    return;
  }
  if (!auth_failure_.empty()) {
    // A missing or refused login does not heal by itself: no backoff and retries.
    s_.phase = role_ == Role::kJob ? LoopPhase::kFailed : LoopPhase::kFatal;
    s_.last_reason = "not logged in: " + auth_failure_ + " (log the agent in as the user the " +
                     "supervisor runs as, then restart the loop)";
    LogError("loop.fatal", {{"loop", s_.name}, {"reason", s_.last_reason}});
    return;
  }
  if (clean) {
    s_.backoff_level = 0;
    bool killed = s_.last_reason.rfind("killed", 0) == 0;
    LogInfo("loop.iteration_done", {{"loop", s_.name}, {"iteration", s_.iteration}});
    if (role_ == Role::kJob) {
      s_.phase = LoopPhase::kFinished;
      if (!killed) s_.last_reason = "finished";
      return;
    }
    s_.phase = LoopPhase::kBackoff;
    if (role_ == Role::kOrchestrator) {
      // The turn is over, the conversation is not: it is resumed after a pause.
      s_.wait_until_ms = std::max(now + Ms(config_.orchestrator_interval),
                                  s_.started_at_ms + Ms(config_.backoff_initial));
      s_.resume_next = false;  // not cut short; Launch resumes the orchestrator anyway
      if (!killed)
        s_.last_reason = "turn finished; next check-in " + FormatRfc3339Millis(s_.wait_until_ms);
    } else {
      // A finished iteration: the next one is a fresh session, but never more than one per
      // backoff_initial, so an agent that returns at once cannot spin.
      s_.wait_until_ms = std::max(now, s_.started_at_ms + Ms(config_.backoff_initial));
      s_.resume_next = false;
      if (!killed) s_.last_reason = "iteration finished";
    }
    if (now >= s_.wait_until_ms) Launch(now);
    return;
  }
  if (s_.resumed && !s_.init_seen) {
    // claude refused the resume without saying why we recognise: resuming the same id
    // again would only crash again, so the next session starts fresh, oriented by the journal.
    LogWarn("loop.resume_refused", {{"loop", s_.name}, {"session", s_.session_id}});
    s_.session_note = "resume of session " + s_.session_id + " failed " + FormatRfc3339Millis(now) +
                      "; the next session starts fresh";
    s_.session_id.clear();
    s_.last_reason += "; resume of the previous session failed, next session starts fresh";
  }
  if (role_ == Role::kJob) {
    s_.phase = LoopPhase::kFailed;
    if (s_.last_reason.empty()) s_.last_reason = "failed";
    LogWarn("loop.failed", {{"loop", s_.name}, {"reason", s_.last_reason}});
    return;
  }
  RecordCrash(now, s_.last_reason.empty() ? "crashed" : s_.last_reason);
}

void AgentSupervisor::RestartFresh(int64_t now) {
  std::string lost = s_.session_id;
  LogWarn("loop.resume_refused", {{"loop", s_.name},
                                  {"session", lost},
                                  {"reason", "No conversation found"},
                                  {"action", "fresh session"}});
  s_.session_note = "claude no longer knew session " + lost + " (" + FormatRfc3339Millis(now) +
                    "); a fresh session was started, oriented by JOURNAL.md";
  s_.last_reason = "resume refused: no conversation " + lost + "; started fresh";
  s_.session_id.clear();
  s_.resume_next = false;
  s_.restart_pending = true;
  s_.phase = LoopPhase::kStopped;
  lost_session_ = lost;
  // Not a crash, and it cannot repeat: a session without --resume is never refused.
  Launch(now);
}

void AgentSupervisor::LaunchFailed(int64_t now, const std::string& reason) {
  if (role_ == Role::kJob) {
    s_.agent = AgentHandle{};
    s_.phase = LoopPhase::kFailed;
    s_.last_reason = reason;
    LogWarn("loop.failed", {{"loop", s_.name}, {"reason", reason}});
    return;
  }
  RecordCrash(now, reason);
}

void AgentSupervisor::RecordCrash(int64_t now, const std::string& reason) {
  s_.agent = AgentHandle{};
  s_.last_reason = reason;
  if (now - s_.started_at_ms >= Ms(config_.stable_after)) {
    s_.backoff_level = 0;
    s_.crash_times_ms.clear();
  }
  s_.crash_times_ms.push_back(now);
  std::erase_if(s_.crash_times_ms, [&](int64_t t) { return now - t >= Ms(config_.fatal_window); });
  if (static_cast<int>(s_.crash_times_ms.size()) >= config_.fatal_crashes) {
    s_.phase = LoopPhase::kFatal;
    s_.last_reason = std::to_string(s_.crash_times_ms.size()) + " crashes within " +
                     std::to_string(config_.fatal_window.count()) + "s; last: " + reason;
    LogError("loop.fatal", {{"loop", s_.name}, {"reason", s_.last_reason}});
    return;
  }
  double base = static_cast<double>(Ms(config_.backoff_initial)) *
                std::pow(2.0, std::min(s_.backoff_level, 30));
  double jitter = 1.0 + config_.backoff_jitter * (2.0 * ctx_->rng() - 1.0);
  int64_t delay =
      static_cast<int64_t>(std::min(base, static_cast<double>(Ms(config_.backoff_max))) * jitter);
  delay = std::clamp<int64_t>(delay, 1, Ms(config_.backoff_max));
  ++s_.backoff_level;
  s_.restart_pending = true;
  s_.phase = LoopPhase::kBackoff;
  s_.wait_until_ms = now + delay;
  s_.resume_next = !s_.session_id.empty();
  LogWarn("loop.crashed",
          {{"loop", s_.name}, {"reason", reason}, {"backoff_ms", static_cast<long long>(delay)}});
}

void AgentSupervisor::Heal(int64_t now, const std::string& reason) {
  LogWarn("loop.heal", {{"loop", s_.name}, {"pid", s_.agent.pid}, {"reason", reason}});
  StopAgent();
  ++s_.heals;
  s_.last_reason = reason;
  s_.resume_next = !s_.session_id.empty();
  s_.phase = LoopPhase::kStopped;
  s_.restart_pending = true;
  Launch(now);
}

void AgentSupervisor::StopAgent() {
  if (s_.agent.pid == 0) return;
  ProcessLauncher* launcher = ctx_->launcher;
  launcher->StopGroup(s_.agent, config_.stop_grace);
  Consume(launcher->ReadLines(s_.agent, true), ctx_->clock->NowUnixMillis());
  launcher->Poll(s_.agent);  // reaps it when it is our child
  s_.agent = AgentHandle{};
}

void AgentSupervisor::Stop(const std::string& reason) {
  if (s_.agent.pid == 0) return;
  StopAgent();
  s_.last_reason = reason;
}

void AgentSupervisor::Fail(const std::string& reason) {
  StopAgent();
  s_.phase = LoopPhase::kFailed;
  s_.last_reason = reason;
  LogWarn("loop.failed", {{"loop", s_.name}, {"reason", reason}});
}

}  // namespace ccci::supervisor
