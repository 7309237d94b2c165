#include "bot/runner/command_output.h"
#include "bot/runner/readme_scores.h"
#include "bot/runner/suite_run.h"

namespace ccci::runner {

void SuiteRun::Functional() {
  if (SkippedUpFront("functional", /*generic_only=*/false)) return;
  std::vector<std::pair<std::string, std::string>> checks = spec_.overlay.checks;
  std::string not_approved;
  if (!spec_.overlay.recipe_checks.empty()) {
    if (spec_.recipe_approved) {
      checks.push_back({spec_.overlay.recipe_checks, "./" + spec_.overlay.recipe_checks});
    } else {
      not_approved = "the recipe's own checks (" + spec_.overlay.recipe_checks +
                     ") did not run: " + spec_.recipe + " is not in runner.approved_recipes";
    }
  }
  if (checks.empty()) {
    return Record("functional", kStageSkip,
                  not_approved.empty() ? "no functional checks declared" : not_approved);
  }
  if (!Passed("install")) return Record("functional", kStageUnverified, "install did not pass");
  StageRecord st = Begin("functional");
  if (!not_approved.empty()) log_->Note(not_approved);
  for (const auto& [name, command] : checks) {
    Step c = Check(command);
    if (StopUnlessOk(
            st, c, "sh",
            {kStageFail, "check " + name + " " + c.DescribeWithOutput(), c.result.exit_code})) {
      return;
    }
  }
  Push(End(st, kStagePass, std::to_string(checks.size()) + " check(s) passed", 0));
}

void SuiteRun::Lint() {
  if (SkippedUpFront("lint")) return;
  if (!prepared_) return Record("lint", kStageUnverified, "the recipe could not be prepared");
  StageRecord st = Begin("lint");
  // The PR head, as is: without --chaos abra first moves the checkout to the latest commit of
  // the default branch and would lint that instead.
  Step head = CheckoutHead();
  if (StopUnlessOk(st, head, "git",
                   {kStageError, "cannot check out " + head_sha_ + " to lint it"})) {
    return;
  }
  Step l = Abra({"recipe", "lint", "--chaos", "--no-input"}, {spec_.recipe});
  if (StopUnlessOk(st, l, "abra")) return;
  auto report = ParseLintOutput(l.output);
  if (!report.ok()) {
    return Push(
        End(st, kStageUnverified,
            "abra recipe lint " + l.Describe() + " without a lint table: " + LastLine(l.output),
            l.result.exit_code));
  }
  lint_report_ = *report;
  if (report->passed()) {
    return Push(End(st, kStagePass, std::to_string(report->rules.size()) + " rules checked",
                    l.result.exit_code));
  }
  std::string refs;
  for (const auto& r : report->failed_errors()) refs += (refs.empty() ? "" : ", ") + r;
  Push(End(st, kStageFail, "error rules not satisfied: " + refs, l.result.exit_code));
}

// Rungs 6-8 (higher_rungs.h): read-only checks after lint, no deploy of their own.
void SuiteRun::UpgradeSafe() {
  Rung("upgrade-safe", [](HigherRungs& r) { return r.UpgradeSafe(); });
}

void SuiteRun::Clean() {
  const LintReport* lint = lint_report_ ? &*lint_report_ : nullptr;
  Rung("clean", [&](HigherRungs& r) { return r.Clean(lint, result_.stages); });
}

void SuiteRun::Maintained() {
  Rung("maintained", [&](HigherRungs& r) { return r.Maintained(result_.stages); });
}

void SuiteRun::Rung(const char* name, const std::function<RungVerdict(HigherRungs&)>& check) {
  if (!rungs_) {
    HigherRungsSpec h;
    h.trees_dir = spec_.work_dir + "/trees";
    h.head_sha = head_sha_;
    h.upgrade_base = spec_.overlay.upgrade_base;
    h.stack = StackName(spec_.domain);
    h.scores_path = spec_.log_dir + "/" + kScoresReportFile;
    h.maintained_months = spec_.maintained_months;
    h.now_s = deps_.clock->NowUnixMillis() / 1000;
    h.data_check = !spec_.overlay.data_verify.empty();
    rungs_.emplace(h, this);
  }
  if (SkippedUpFront(name)) return;
  if (!prepared_) return Record(name, kStageUnverified, "the recipe could not be prepared");
  StageRecord st = Begin(name);
  RungVerdict v = check(*rungs_);
  // The README scores rung 8 measured, for the reporter of whichever host reports the run.
  if (std::string(name) == "maintained") KeepInStore(kScoresReportFile, "application/json");
  if (v.cancelled) return Push(Cancelled(st));
  Push(v.ci_error ? CiError(st, v.reason) : End(st, v.status, v.reason));
}

namespace {

CommandOutcome Outcome(const Step& step) {
  CommandOutcome c;
  c.started = step.started;
  c.cancelled = step.started && step.result.cancelled;
  c.ok = step.ok();
  c.output = ReplaceAll(step.output, "\r", "");
  c.describe = step.Describe();
  return c;
}

}  // namespace

CommandOutcome SuiteRun::RunGit(const std::vector<std::string>& args) {
  return Outcome(Git(args, {}, true));
}

CommandOutcome SuiteRun::RunDocker(const std::vector<std::string>& args) {
  return Outcome(Docker(args));
}

}  // namespace ccci::runner
