#include <algorithm>
#include <filesystem>
#include <regex>

#include "base/ini.h"
#include "base/leftover_group.h"
#include "bot/runner/command_output.h"
#include "bot/runner/suite_run.h"

namespace ccci::runner {

void SuiteRun::TeardownStage() { result_.stages.push_back(Teardown()); }

StageRecord SuiteRun::Teardown() {
  namespace fs = std::filesystem;
  StageRecord st = Begin("teardown");
  // Never cancelled: teardown must finish even when the run was.
  CancelToken never;
  const CancelToken* saved = cancel_override_;
  cancel_override_ = &never;
  // A cc-ci killed mid-command left that command running: end it before tearing down.
  if (KillLeftoverGroup(CommandPidFile(spec_))) {
    log_->Note("ended a command that an interrupted cc-ci left running");
  }
  std::string problems;
  if (fs::exists(abra_dir_)) {
    Step un = Abra({"app", "undeploy", "--no-input"}, {spec_.domain});
    if (!un.started) problems = NotStarted(un);
    // Even when the undeploy failed: `docker stack rm` fails when it could not remove all of
    // the stack (a network a task still used), and what it left must still go.
    if (un.started) WaitUndeployed();
    if (fs::exists(env_file_)) {
      Step rm = RemoveRetried({"app", "remove", "--force", "--no-input"}, {spec_.domain});
      if (!rm.ok()) problems = "abra app remove " + rm.DescribeWithOutput();
    }
  } else {
    log_->Note("nothing was set up for this run");
  }
  std::error_code ec;
  fs::remove_all(spec_.work_dir, ec);
  if (ec) problems = "cannot delete " + spec_.work_dir + ": " + ec.message();
  cancel_override_ = saved;
  if (problems.empty()) return End(st, kStagePass, "");
  return End(st, kStageFail, problems);
}

namespace {

// The whitespace-separated words of a command's output (ids, names).
std::vector<std::string> Words(const std::string& text) { return SplitList(text, " \t\r\n"); }

}  // namespace

StageRecord SuiteRun::RemoveStack() {
  StageRecord st = Begin("reaper");
  const std::string stack = StackName(spec_.domain);
  const std::string label = "label=com.docker.stack.namespace=" + stack;
  // The app's secrets, as `abra app remove` would remove them: named while the services that
  // use them are still there. Only those named `<stack>_...` (the recipe's own; a secret
  // another app shares is not this stack's to remove).
  std::vector<std::string> secrets;
  Step services = Docker({"service", "ls", "--quiet", "--filter", label});
  std::vector<std::string> ids = Words(services.ok() ? services.output : "");
  if (!ids.empty()) {
    std::vector<std::string> inspect = {
        "service", "inspect", "--format",
        "{{range .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.SecretName}} {{end}}"};
    inspect.insert(inspect.end(), ids.begin(), ids.end());
    Step names = Docker(inspect);
    static const std::regex kSecret("[A-Za-z0-9][A-Za-z0-9_.-]*");
    for (const std::string& name : Words(names.ok() ? names.output : "")) {
      if (name.rfind(stack + "_", 0) == 0 && std::regex_match(name, kSecret) &&
          std::find(secrets.begin(), secrets.end(), name) == secrets.end()) {
        secrets.push_back(name);
      }
    }
  }
  Step rm = Docker({"stack", "rm", stack});
  if (!rm.started) return End(st, kStageError, NotStarted(rm));
  WaitUndeployed();  // also when rm failed halfway: it removes the networks left
  std::string problems;
  for (int attempt = 1; attempt <= 5; ++attempt) {
    Step ls = Docker({"volume", "ls", "--quiet", "--filter", label});
    if (!ls.ok()) {
      problems = "docker volume ls " + ls.DescribeWithOutput();
      break;
    }
    std::vector<std::string> vols = {"volume", "rm"};
    for (const std::string& id : Words(ls.output)) vols.push_back(id);
    if (vols.size() == 2) {
      problems.clear();
      break;
    }
    Step vrm = Docker(vols);
    problems = vrm.ok() ? "" : "docker volume rm " + vrm.DescribeWithOutput();
    if (vrm.ok()) break;
    deps_.sleep(spec_.swarm_poll);  // a container that still holds one is going
    WaitUndeployed();
  }
  if (!secrets.empty()) {
    std::vector<std::string> srm = {"secret", "rm"};
    srm.insert(srm.end(), secrets.begin(), secrets.end());
    Step s = Docker(srm);
    if (!s.ok() && problems.empty()) problems = "docker secret rm " + s.DescribeWithOutput();
  }
  if (problems.empty()) return End(st, kStagePass, "");
  return End(st, kStageFail, problems);
}

}  // namespace ccci::runner
