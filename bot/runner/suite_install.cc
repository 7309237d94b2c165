#include <filesystem>
#include <fstream>

#include "base/private_files.h"
#include "bot/runner/clone_source.h"
#include "bot/runner/command_output.h"
#include "bot/runner/suite_run.h"

namespace ccci::runner {
namespace {

// A step a retry does not repeat: its first attempt did it.
Step DoneBefore() {
  Step s;
  s.result.exit_code = 0;
  return s;
}

}  // namespace

void SuiteRun::Install() {
  StageRecord st = Begin("install");
  prepared_ = Prepare(st);
  if (prepared_) InstallApp(st);
}

void SuiteRun::InstallAgain() { InstallApp(Begin("install")); }

// The recipe cloned at the commit under test; false when the stage already ended.
bool SuiteRun::Prepare(StageRecord& st) {
  if (!bad_recipe_.empty()) return Push(CiError(st, bad_recipe_)), false;
  if (Status made = MakePrivateDirs(abra_dir_ + "/servers/" + spec_.server); !made.ok()) {
    return Push(CiError(st, made.message())), false;
  }
  // Is the server there at all? A missing abra or an unreachable server is cc-ci's trouble.
  Step pre = Abra({"app", "ls", "--server", spec_.server, "--no-input"}, {});
  if (StopUnlessOk(st, pre, "abra",
                   {kStageError, "server " + spec_.server + " unreachable: abra app ls " +
                                     pre.DescribeWithOutput()})) {
    return false;
  }
  Step clone =
      Exec({"git", "clone", "--quiet", "--end-of-options", spec_.source, recipe_dir_}, true);
  if (StopUnlessOk(
          st, clone, "git",
          {kStageError, "cannot clone " + spec_.source + ": git " + clone.DescribeWithOutput()})) {
    return false;
  }
  Step head = CheckoutHead();
  if (StopUnlessOk(st, head, "git",
                   {kStageError, "cannot check out " + spec_.ref + ": git " + head.Describe()})) {
    return false;
  }
  // A branch or "HEAD" means something else once `abra app new` moved the checkout: pin the
  // commit now.
  Step sha = Git({"rev-parse", "HEAD"}, {}, true);
  if (StopUnlessOk(st, sha, "git")) return false;
  head_sha_ = LastLine(sha.output);
  if (!sha.ok() || !IsCommitSha(head_sha_)) {
    return Push(CiError(st, "cannot resolve " + spec_.ref)), false;
  }
  log_->Note("testing " + spec_.recipe + " at " + head_sha_);
  return true;
}

// Install's own step: the app made with its secrets, the PR head deployed and answering.
// Its retry (StageRetry) picks up where the first attempt stopped and deploys again.
void SuiteRun::InstallApp(StageRecord st) {
  Step made =
      std::filesystem::exists(env_file_)
          ? DoneBefore()
          : Abra({"app", "new", "--server", spec_.server, "--domain", spec_.domain, "--no-input"},
                 {spec_.recipe});
  if (StopUnlessOk(
          st, made, "abra",
          {kStageFail, "abra app new " + made.DescribeWithOutput(), made.result.exit_code})) {
    return;
  }
  // Not `app new --secrets`: abra prints the values it generates, which no redaction list
  // knows in advance. Generated in a step of their own whose output never reaches the log.
  Step secrets = secrets_made_ ? DoneBefore()
                               : Abra({"app", "secret", "generate", "--all", "--no-input"},
                                      {spec_.domain}, "it holds the generated secrets");
  // Only abra's own error line is shown; anything else could be a generated value.
  std::string last = LastLine(secrets.output);
  bool error_line =
      last.rfind("FATA", 0) == 0 || last.rfind("ERRO", 0) == 0 || last.rfind("Error:", 0) == 0;
  if (StopUnlessOk(st, secrets, "abra",
                   {kStageFail,
                    "abra app secret generate " + secrets.Describe() +
                        (error_line ? ": " + last : std::string()),
                    secrets.result.exit_code})) {
    return;
  }
  secrets_made_ = true;
  // `abra app new` moves the checkout to the newest release tag: back to the PR head.
  Step again = CheckoutHead();
  if (StopUnlessOk(st, again, "git", {kStageError, "cannot check out " + spec_.ref + " again"})) {
    return;
  }
  if (!spec_.overlay.env.empty() && !env_added_) {
    std::ofstream env(env_file_, std::ios::app);
    if (!env) return Push(End(st, kStageFail, "abra app new made no env file " + env_file_));
    env << "\n# added by the cc-ci overlay\n";
    for (const auto& kv : spec_.overlay.env) env << kv << "\n";
    env_added_ = true;
  }
  // An earlier attempt of this run, on a worker that was lost, may have left the app
  // deployed (on a server workers share): undeploy it first, so a deploy never fails on it.
  if (spec_.attempt > 1 && !deployed_once_) {
    log_->Note("attempt " + std::to_string(spec_.attempt) +
               ": undeploying what an earlier attempt may have left");
    Step un = Abra({"app", "undeploy", "--no-input"}, {spec_.domain});
    if (un.ok()) WaitUndeployed();  // else it was not deployed: nothing to do
  }
  std::vector<std::string> deploy_args = {"app", "deploy", "--chaos", "--no-domain-checks",
                                          "--no-input"};
  // A retry deploys over whatever the failed attempt left.
  if (deployed_once_) deploy_args.push_back("--force");
  deployed_once_ = true;
  Step deploy = Abra(deploy_args, {spec_.domain});
  if (StopUnlessOk(st, deploy, "abra",
                   {kStageFail, "abra app deploy " + deploy.DescribeWithOutput(),
                    deploy.result.exit_code})) {
    return;
  }
  if (StopUnlessReady(st, {kStageFail, "", 0})) return;
  Push(End(st, kStagePass, "", 0));
}

}  // namespace ccci::runner
