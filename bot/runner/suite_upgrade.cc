#include <rapidjson/document.h>

#include "bot/runner/release_tag.h"
#include "bot/runner/suite_run.h"

namespace ccci::runner {

void SuiteRun::Upgrade() {
  if (SkippedUpFront("upgrade")) return;
  if (!Passed("install")) return Record("upgrade", kStageUnverified, "install did not pass");
  StageRecord st = Begin("upgrade");
  std::string base = spec_.overlay.upgrade_base;
  if (base.empty()) {
    Step tags = Git({"tag", "--list"}, {}, true);
    Step at = Git({"tag", "--points-at=" + head_sha_}, {}, true);
    if (StopUnlessOk(st, tags, "git")) return;
    auto prev = ReleasesFromGit(tags.output, at.output).previous;
    if (!prev) {
      return Push(
          End(st, kStageSkip, "no previous release to upgrade from (no x.y.z+upstream tag)"));
    }
    base = prev->raw;
  }
  log_->Note("upgrading from " + base + " to " + head_sha_);
  if (!DeployPreviousRelease(st, base)) return;
  // Then the PR head over it.
  Step head = CheckoutHead();
  if (StopUnlessOk(st, head, "git", {kStageError, "cannot check out " + head_sha_})) return;
  Step d2 = Abra({"app", "deploy", "--chaos", "--force", "--no-domain-checks", "--no-input"},
                 {spec_.domain});
  if (StopUnlessOk(
          st, d2, "abra",
          {kStageFail, "abra app deploy " + d2.DescribeWithOutput(), d2.result.exit_code})) {
    return;
  }
  if (StopUnlessReady(st, {kStageFail, "after the upgrade ", 0})) return;
  // Does the stack really run the PR head? A swarm rollback silently reverts an upgrade.
  std::string stack = StackName(spec_.domain);
  Step inspect = Docker({"service", "inspect", stack + "_app", "--format",
                         "{\"labels\":{{json .Spec.Labels}},\"update\":{{json .UpdateStatus}}}"});
  if (StopUnlessOk(
          st, inspect, "docker",
          {kStageUnverified, "cannot read the stack's labels: docker " + inspect.Describe()})) {
    return;
  }
  std::string why = CheckChaosVersion(inspect.output, stack);
  if (!why.empty()) return Push(End(st, kStageFail, why, 0));
  Push(End(st, kStagePass, "upgraded from " + base, 0));
}

// The previous release `base`, on fresh volumes, deployed and answering; false when the
// stage already ended.
bool SuiteRun::DeployPreviousRelease(StageRecord& st, const std::string& base) {
  Step un = Abra({"app", "undeploy", "--no-input"}, {spec_.domain});
  if (StopUnlessOk(st, un, "abra")) return false;
  if (un.ok()) WaitUndeployed();
  // Should something else still hold a volume a while: retry.
  Step vol = RemoveRetried({"app", "volume", "remove", "--force", "--no-input"}, {spec_.domain});
  if (StopUnlessOk(st, vol, "abra",
                   {kStageUnverified,
                    "the volumes could not be removed for a fresh install of the previous "
                    "release: abra app volume remove " +
                        vol.DescribeWithOutput()})) {
    return false;
  }
  Step old = Switch(base);
  if (StopUnlessOk(st, old, "git",
                   {kStageUnverified, "cannot check out the upgrade base " + base})) {
    return false;
  }
  Step d1 =
      Abra({"app", "deploy", "--force", "--no-domain-checks", "--no-input"}, {spec_.domain, base});
  if (StopUnlessOk(st, d1, "abra",
                   {kStageUnverified,
                    "the previous release " + base + " did not deploy: " + d1.Describe()})) {
    return false;
  }
  return !StopUnlessReady(
      st, {kStageUnverified, "the previous release " + base + " did not come up: "});
}

// Empty when the inspected service runs the PR head; else why not.
std::string SuiteRun::CheckChaosVersion(const std::string& output, const std::string& stack) const {
  std::string json = output.substr(std::min(output.find('{'), output.size()));
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  if (doc.HasParseError() || !doc.IsObject()) return "cannot parse docker service inspect output";
  if (doc.HasMember("update") && doc["update"].IsObject() && doc["update"].HasMember("State") &&
      doc["update"]["State"].IsString()) {
    std::string state = doc["update"]["State"].GetString();
    if (state.rfind("rollback", 0) == 0) return "the swarm rolled the upgrade back (" + state + ")";
  }
  std::string key = "coop-cloud." + stack + ".chaos-version";
  if (!doc.HasMember("labels") || !doc["labels"].IsObject() ||
      !doc["labels"].HasMember(key.c_str()) || !doc["labels"][key.c_str()].IsString()) {
    return "the stack has no " + key + " label: it is not running a chaos deploy of the PR head";
  }
  std::string version = doc["labels"][key.c_str()].GetString();
  std::string v = version.substr(0, version.find('+'));  // "+U": uncommitted changes
  if (v.size() < 7 || head_sha_.rfind(v, 0) != 0) {
    return "the stack runs " + version + ", not the PR head " + head_sha_.substr(0, 8);
  }
  return "";
}

}  // namespace ccci::runner
