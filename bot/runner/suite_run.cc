#include "bot/runner/suite_run.h"

#include "base/path_under.h"
#include "base/whole_file.h"
#include "bot/runner/command_output.h"
#include "bot/runner/host_tools.h"

namespace ccci::runner {

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

std::string Step::Describe() const {
  if (!started) return start_error.message();
  if (result.cancelled) return "cancelled";
  if (result.timed_out) return "timed out";
  if (result.signal) return "killed by signal " + std::to_string(result.signal);
  return "exited " + std::to_string(result.exit_code);
}

std::string Step::DescribeWithOutput() const { return Describe() + ": " + LastLine(output); }

SuiteRun::SuiteRun(const SuiteSpec& spec, const SuiteDeps& deps, const CancelToken& cancel)
    : spec_(spec), deps_(deps), cancel_(cancel), retry_(spec.retry_failed_stages) {
  abra_dir_ = spec_.work_dir + "/abra";
  auto recipe_dir = PathUnder(abra_dir_ + "/recipes", spec_.recipe);
  if (recipe_dir.ok())
    recipe_dir_ = *recipe_dir;
  else
    bad_recipe_ = recipe_dir.status().message();
  env_file_ = abra_dir_ + "/servers/" + spec_.server + "/" + spec_.domain + ".env";
}

StageRecord SuiteRun::Begin(const std::string& name) {
  StageRecord st;
  st.run_id = spec_.run_id;
  st.seq = StageSeq(name);
  st.name = name;
  st.status = kStageRunning;
  st.started_at_ms = deps_.clock->NowUnixMillis();
  st.log_path = spec_.log_rel_dir + "/" + name + ".log";
  retry_.Begin(&st);
  std::string log_name = AttemptLogPath(name + ".log", retry_.attempt());
  std::unique_ptr<StoreLogWriter> copy;
  if (deps_.artifacts && spec_.run_id > 0)
    copy = std::make_unique<StoreLogWriter>(deps_.artifacts, spec_.run_id, log_name, deps_.clock);
  log_ = std::make_unique<StageLog>(spec_.log_dir + "/" + log_name, spec_.secrets,
                                    spec_.log_cap_bytes, deps_.clock, std::move(copy));
  if (retry_.retrying())
    log_->Note("the second attempt (the first: " + name + ".log): " + st.reason);
  if (deps_.observer) deps_.observer->StageStarted(st);
  return st;
}

StageRecord SuiteRun::End(StageRecord st, const char* status, std::string reason,
                          std::optional<int64_t> exit_code) {
  st.status = status;
  st.reason = std::move(reason);
  st.exit_code = exit_code;
  st.duration_ms = deps_.clock->NowUnixMillis() - st.started_at_ms;
  if (!st.reason.empty()) log_->Note(std::string(status) + ": " + st.reason);
  if (retry_.Wants(st)) {
    log_->Note("a default-branch run: the stage runs once more on the same deployment");
    retry_pending_ = true;
    return st;  // not final: WithRetry runs the second attempt
  }
  retry_.End(&st);
  log_->Flush();  // a reader that sees the stage ended must find its whole log
  if (deps_.observer) deps_.observer->StageFinished(st);
  return st;
}

void SuiteRun::Record(const std::string& name, const char* status, const std::string& reason) {
  StageRecord st = Begin(name);
  stages_status_[name] = status;
  result_.stages.push_back(End(st, status, reason));
}

void SuiteRun::KeepInStore(const std::string& file, const std::string& content_type) {
  if (!deps_.artifacts || spec_.run_id <= 0) return;
  std::string bytes = ReadWholeFile(spec_.log_dir + "/" + file);
  if (bytes.empty()) return;
  Status kept = deps_.artifacts->PutBlob(spec_.run_id, file, content_type, bytes);
  if (!kept.ok()) log_->Note(file + " is not in the store: " + kept.message());
}

void SuiteRun::Push(const StageRecord& st) {
  stages_status_[st.name] = st.status;
  result_.stages.push_back(st);
}

bool SuiteRun::Passed(const std::string& name) const {
  auto it = stages_status_.find(name);
  return it != stages_status_.end() && StagePassed(it->second);
}

void SuiteRun::WithRetry(void (SuiteRun::*stage)(), void (SuiteRun::*again)()) {
  (this->*stage)();
  if (!retry_pending_) return;
  retry_pending_ = false;
  StageRecord failed = result_.stages.back();  // the first attempt's, not final
  result_.stages.pop_back();
  stages_status_.erase(failed.name);
  retry_.Start(failed);
  (this->*(again ? again : stage))();
  retry_.Finish();
}

StageRecord SuiteRun::CiError(StageRecord st, const std::string& reason) {
  result_.ci_error = true;
  if (result_.ci_error_reason.empty()) result_.ci_error_reason = reason;
  return End(st, kStageError, reason);
}

StageRecord SuiteRun::Cancelled(StageRecord st) {
  result_.cancelled = true;
  return End(st, kStageError, "cancelled");
}

bool SuiteRun::StopUnlessOk(StageRecord& st, const Step& step, const std::string& tool,
                            const OnFail& on_fail) {
  if (step.started && step.result.cancelled) {
    Push(Cancelled(st));
  } else if (!step.started && step.start_error.code() == Code::kNotFound) {
    Push(CiError(st, NotStarted(step)));
  } else if (!step.started) {
    Push(CiError(st, tool + ": " + step.Describe()));
  } else if (step.ok() || !on_fail.status) {
    return false;
  } else if (on_fail.status == std::string(kStageError)) {
    Push(CiError(st, on_fail.reason));
  } else {
    Push(End(st, on_fail.status, on_fail.reason, on_fail.exit_code));
  }
  return true;
}

bool SuiteRun::StopUnlessReady(StageRecord& st, const OnFail& on_fail) {
  auto why = WaitReady();
  if (!why) return false;
  if (cancel().cancelled())
    Push(Cancelled(st));
  else
    Push(End(st, on_fail.status, on_fail.reason + *why, on_fail.exit_code));
  return true;
}

std::string SuiteRun::NotStarted(const Step& step) const {
  if (step.start_error.code() != Code::kNotFound) return step.Describe();
  std::string key = step.program == spec_.abra     ? "runner.abra"
                    : step.program == spec_.docker ? "runner.docker"
                                                   : "";
  return MissingProgram(step.program, key);
}

bool SuiteRun::SkippedUpFront(const std::string& name, bool generic_only) {
  if (Stopped()) return true;
  if (generic_only && !spec_.overlay.generic) {
    Record(name, kStageSkip, "the recipe's overlay opts out of the generic suite");
    return true;
  }
  if (auto it = spec_.overlay.skips.find(name); it != spec_.overlay.skips.end()) {
    Record(name, kStageSkip, "declared in the overlay: " + it->second);
    return true;
  }
  return false;
}

}  // namespace ccci::runner
