#pragma once
// The state one run of the suite shares between its stages (suite.h is the contract). Only
// the suite's own files include this: suite.cc drives the stage table, and each stage group
// lives in a file of its own (suite_install.cc, suite_upgrade.cc, suite_backup.cc,
// suite_checks.cc, suite_screenshot.cc, suite_teardown.cc); suite_run.cc keeps the stage
// records and suite_commands.cc runs the commands.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bot/runner/higher_rungs.h"
#include "bot/runner/lint_report.h"
#include "bot/runner/stage_log.h"
#include "bot/runner/stage_retry.h"
#include "bot/runner/suite.h"

namespace ccci::runner {

// A stage's place in kSuiteStages, its `seq`.
constexpr int StageSeq(std::string_view name) {
  int seq = 0;
  for (std::string_view stage : kSuiteStages) {
    if (stage == name) return seq;
    ++seq;
  }
  return -1;
}

// Where the running command of a run is recorded (Command::pid_file).
std::string CommandPidFile(const SuiteSpec& spec);

// Every `from` in `s` replaced by `to`.
std::string ReplaceAll(std::string s, const std::string& from, const std::string& to);

// What one command did. `started` is false when it could not be started at all.
struct Step {
  std::string program;  // argv[0]
  bool started = true;
  Status start_error;
  ExecResult result;
  std::string output;  // only when captured
  bool ok() const { return started && result.ok(); }
  std::string Describe() const;
  // "<Describe()>: <the output's last line>", how most failures are told.
  std::string DescribeWithOutput() const;
};

// How a stage ends when its step ran and failed (SuiteRun::StopUnlessOk): `status` is
// kStageFail, kStageUnverified, or kStageError for cc-ci's own trouble (no level).
struct OnFail {
  OnFail() = default;
  OnFail(const char* s, std::string r, std::optional<int64_t> code = std::nullopt)
      : status(s), reason(std::move(r)), exit_code(code) {}
  const char* status = nullptr;  // null: a failed step does not end the stage by itself
  std::string reason;
  std::optional<int64_t> exit_code;
};

class SuiteRun : public RungIo {
 public:
  SuiteRun(const SuiteSpec& spec, const SuiteDeps& deps, const CancelToken& cancel);

  // Every stage of kSuiteStages in order, teardown last (suite.cc).
  SuiteResult Run();
  // Undeploys, removes the app and deletes the work dir; never cancelled (suite_teardown.cc).
  StageRecord Teardown();
  StageRecord RemoveStack();  // suite_teardown.cc

 private:
  const CancelToken& cancel() const { return cancel_override_ ? *cancel_override_ : cancel_; }

  // --- stage records (suite_run.cc) ---
  StageRecord Begin(const std::string& name);
  // Ends `st`; when StageRetry wants a second attempt the ending is not final (WithRetry).
  StageRecord End(StageRecord st, const char* status, std::string reason,
                  std::optional<int64_t> exit_code = std::nullopt);
  // Records a stage that does not run at all (skip or unverified).
  void Record(const std::string& name, const char* status, const std::string& reason);
  void Push(const StageRecord& st);
  // Copies `file` of the run's log dir to the store (deps.artifacts), for the hosts that did
  // not run the run; a note in the stage's log when it cannot. Nothing when there is no file.
  void KeepInStore(const std::string& file, const std::string& content_type);
  bool Passed(const std::string& name) const;
  // Runs a stage and, when End() asked for it (StageRetry), its second attempt: `again`, or
  // the stage itself.
  void WithRetry(void (SuiteRun::*stage)(), void (SuiteRun::*again)());
  // Stops the suite: every later stage except teardown is left out.
  bool Stopped() const { return result_.cancelled || result_.ci_error; }
  // An error that is cc-ci's, not the recipe's: the run has no level.
  StageRecord CiError(StageRecord st, const std::string& reason);
  StageRecord Cancelled(StageRecord st);
  // Fail unless ok: true when `step` ended the stage (recorded and pushed), false when the
  // stage goes on. A cancelled step is an error, one that could not start (a missing
  // `tool`) cc-ci's own; a step that ran and failed ends the stage as `on_fail` says, or,
  // with no status there, is the caller's to judge.
  bool StopUnlessOk(StageRecord& st, const Step& step, const std::string& tool,
                    const OnFail& on_fail = {});
  // WaitReady, and when the app does not answer the stage ends: cancelled, or as `on_fail`
  // says with the reason appended to its own. True when the stage ended.
  bool StopUnlessReady(StageRecord& st, const OnFail& on_fail);
  // Why a command did not start; a missing program is the host's to fix, and says how.
  std::string NotStarted(const Step& step) const;
  // Skip decisions shared by the stages that need a running app: true when the stage was
  // recorded (or the suite stopped).
  bool SkippedUpFront(const std::string& name, bool generic_only = true);

  // --- commands (suite_commands.cc) ---
  // With `unlogged_why`, the command line is logged with that reason, its output only
  // captured (e.g. it holds secrets).
  Step Exec(std::vector<std::string> argv, bool capture, const std::string& cwd = "",
            std::vector<std::string> extra_env = {}, const std::string& unlogged_why = "");
  // `abra <args> -- <operands>`: cobra ends its flags at "--", so an operand (a domain, a
  // recipe name from a webhook) can never pass for a flag.
  Step Abra(std::vector<std::string> args, const std::vector<std::string>& operands,
            const std::string& unlogged_why = "");
  // `git <args> --end-of-options <operands>` in the recipe's checkout, for the same reason.
  Step Git(std::vector<std::string> args, const std::vector<std::string>& operands = {},
           bool capture = false);
  // `docker --context <server> <args>`, captured.
  Step Docker(const std::vector<std::string>& args);
  // Checks `rev` out, detached, discarding local changes.
  Step Switch(const std::string& rev);
  // Checks out spec_.ref in the recipe dir (fetching fetch_ref if the ref is not there).
  Step CheckoutHead();
  // An operator's shell command (overlay checks), in the recipe checkout, told where the app is.
  Step Check(const std::string& command);
  std::string AppUrl(const std::string& path) const;
  // Polls the app until it answers; the reason when it does not.
  std::optional<std::string> WaitReady();
  // Polls docker until the undeployed stack's containers and networks are gone.
  void WaitUndeployed();
  // An abra command that removes the app's volumes, tried again a few times.
  Step RemoveRetried(const std::vector<std::string>& args,
                     const std::vector<std::string>& operands);

  // --- stages, one method each, in kSuiteStages order ---
  void Install();       // suite_install.cc
  void InstallAgain();  // install's retry: its own step again
  bool Prepare(StageRecord& st);
  void InstallApp(StageRecord st);
  void Upgrade();  // suite_upgrade.cc
  bool DeployPreviousRelease(StageRecord& st, const std::string& base);
  std::string CheckChaosVersion(const std::string& output, const std::string& stack) const;
  void Backup();  // suite_backup.cc
  void Restore();
  void Functional();  // suite_checks.cc
  void Lint();
  void UpgradeSafe();
  void Clean();
  void Maintained();
  void Rung(const char* name, const std::function<RungVerdict(HigherRungs&)>& check);
  void Screenshot();     // suite_screenshot.cc
  void TeardownStage();  // suite_teardown.cc

  // RungIo, for the rungs above lint: the command and its output go to the stage's log.
  CommandOutcome RunGit(const std::vector<std::string>& args) override;
  CommandOutcome RunDocker(const std::vector<std::string>& args) override;
  void Note(const std::string& line) override { log_->Note(line); }

  const SuiteSpec& spec_;
  const SuiteDeps& deps_;
  const CancelToken& cancel_;
  const CancelToken* cancel_override_ = nullptr;
  std::string abra_dir_, recipe_dir_, env_file_;
  std::string bad_recipe_;  // why the recipe's name cannot be a directory, if it cannot
  std::string head_sha_;    // the commit under test, once resolved
  std::unique_ptr<StageLog> log_;
  std::map<std::string, std::string> stages_status_;
  bool prepared_ = false;  // the recipe is checked out: lint can run whatever happens next
  bool no_backup_ = false;
  StageRetry retry_;
  bool retry_pending_ = false;  // the stage that just ended gets a second attempt
  bool secrets_made_ = false;   // install's steps done, so its retry does not repeat them
  bool env_added_ = false;
  bool deployed_once_ = false;
  std::optional<LintReport> lint_report_;
  std::optional<HigherRungs> rungs_;  // built as the first rung begins; keeps the head tree
  SuiteResult result_;
};

}  // namespace ccci::runner
