#include "supervisor/upgrade_job.h"

#include "base/log.h"
#include "supervisor/stream_event.h"

namespace ccci::supervisor {

std::string UpgradeOutputLine(const std::string& raw) {
  if (ParseStreamLine(raw).kind == StreamEvent::Kind::kText) return raw;
  return SummarizeLine(raw, 4000);
}

UpgradeJob::UpgradeJob(const AgentContext* ctx, UpgradeRequest request,
                       std::function<void(const std::string&)> out)
    : ctx_(ctx),
      request_(std::move(request)),
      agent_(kUpgrade, Role::kJob, ctx, [this](const SessionStart& start) -> Result<std::string> {
        std::string role;
        if (!start.resume) {
          const SupervisorConfig& c = *ctx_->config;
          std::string path = c.repo + "/" + c.prompts_dir + "/upgrader.md";
          Result<std::string> text = ReadWholeFile(path);
          if (!text.ok()) return NotFound("missing prompt file: " + text.status().message());
          role = *text;
        }
        return ComposeUpgradePrompt(role, request_.recipes, start);
      }) {
  if (out) agent_.set_line_sink([out](const std::string& line) { out(UpgradeOutputLine(line)); });
}

void UpgradeJob::StopLeftover() {
  Result<LoopState> old = ctx_->store->LoadLoop(kUpgrade);
  if (!old.ok() || old->agent.pid == 0) return;
  // Only a process that is still the one recorded (pid, start time, boot) is signalled.
  if (!ctx_->launcher->Adopt(old->agent)) return;
  LogWarn("upgrade.leftover_stopped", {{"pid", old->agent.pid}});
  ctx_->launcher->StopGroup(old->agent, ctx_->config->stop_grace);
}

int UpgradeJob::Run(const std::atomic<bool>& stop,
                    const std::function<void(std::chrono::milliseconds)>& sleep) {
  StopLeftover();
  Clock* clock = ctx_->clock;
  int64_t started = clock->NowUnixMillis();
  int64_t deadline = started + static_cast<int64_t>(ctx_->config->upgrade_timeout.count()) * 1000;
  LogInfo("upgrade.started", {{"backend", BackendName(ctx_->config->backend)},
                              {"model", ctx_->config->model},
                              {"recipes", static_cast<int>(request_.recipes.size())}});
  int code = kUpgradeFailed;
  while (true) {
    int64_t now = clock->NowUnixMillis();
    if (stop.load()) {
      agent_.Fail("interrupted");
      code = kUpgradeInterrupted;
      break;
    }
    if (now >= deadline) {
      agent_.Fail("timed out after " + std::to_string(ctx_->config->upgrade_timeout.count()) + "s");
      code = kUpgradeTimedOut;
      break;
    }
    agent_.Tick(now, now);
    agent_.Save();
    LoopPhase phase = agent_.state().phase;
    if (phase == LoopPhase::kFinished) {
      code = kUpgradeOk;
      break;
    }
    if (phase == LoopPhase::kFailed) {
      code = kUpgradeFailed;
      break;
    }
    sleep(kPoll);
  }
  agent_.Save();
  LogInfo("upgrade.ended", {{"exit", code},
                            {"state", LoopPhaseName(agent_.state().phase)},
                            {"reason", agent_.state().last_reason}});
  return code;
}

}  // namespace ccci::supervisor
