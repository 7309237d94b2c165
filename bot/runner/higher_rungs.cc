#include "bot/runner/higher_rungs.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "bot/runner/backup_labels.h"
#include "bot/runner/readme_scores.h"
#include "bot/runner/release_age.h"
#include "bot/runner/release_tag.h"
#include "bot/runner/runtime_flags.h"
#include "bot/runner/suite_level.h"
#include "bot/runner/upgrade_safety.h"

namespace ccci::runner {
namespace {

namespace fs = std::filesystem;

RungVerdict Verdict(const char* status, std::string reason) {
  RungVerdict v;
  v.status = status;
  v.reason = std::move(reason);
  return v;
}

std::string StatusOf(const std::vector<StageRecord>& stages, const std::string& name) {
  for (const StageRecord& s : stages) {
    if (s.name == name) return s.status;
  }
  return "";
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

HigherRungs::HigherRungs(HigherRungsSpec spec, RungIo* io) : spec_(std::move(spec)), io_(io) {}

std::optional<RungVerdict> HigherRungs::Broke(const CommandOutcome& c, const std::string& what) {
  if (c.cancelled) {
    RungVerdict v = Verdict(kStageError, "cancelled");
    v.cancelled = true;
    return v;
  }
  if (!c.started) {
    RungVerdict v = Verdict(kStageError, what + ": " + c.describe);
    v.ci_error = true;
    return v;
  }
  if (!c.ok) return Verdict(kStageUnverified, what + " " + c.describe);
  return std::nullopt;
}

std::optional<RungVerdict> HigherRungs::Checkout(const std::string& name, const std::string& rev,
                                                 std::optional<RecipeTree>* out) {
  if (out->has_value()) return std::nullopt;
  std::string dir = spec_.trees_dir + "/" + name;
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(spec_.trees_dir, ec);
  // A tag name is the recipe's: resolve it to a commit, never pass it where git reads options.
  CommandOutcome sha =
      io_->RunGit({"rev-parse", "--verify", "--quiet", "--end-of-options", rev + "^{commit}"});
  if (auto b = Broke(sha, "git rev-parse " + rev)) return b;
  std::string commit = Trimmed(sha.output);
  if (commit.size() < 40 || commit.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return Verdict(kStageUnverified, "git rev-parse " + rev + " gave no commit id");
  }
  CommandOutcome add = io_->RunGit({"worktree", "add", "--detach", "--force", dir, commit});
  if (auto b = Broke(add, "git worktree add (" + rev + ")")) return b;
  auto tree = LoadRecipeTree(dir);
  if (!tree.ok()) return Verdict(kStageUnverified, tree.status().message());
  for (const auto& [path, why] : tree->unreadable) io_->Note(path + " not read: " + why);
  *out = std::move(*tree);
  return std::nullopt;
}

RungVerdict HigherRungs::UpgradeSafe() {
  CommandOutcome at = io_->RunGit({"tag", "--points-at", spec_.head_sha});
  if (auto b = Broke(at, "git tag --points-at")) return *b;
  std::string base = spec_.upgrade_base;
  ReleasesAtHead releases = ReleasesFromGit("", at.output);
  if (base.empty()) {
    CommandOutcome all = io_->RunGit({"tag", "--list"});
    if (auto b = Broke(all, "git tag --list")) return *b;
    releases = ReleasesFromGit(all.output, at.output);
    if (!releases.previous) {
      return Verdict(kStageSkip, "no previous release to compare with (no x.y.z+upstream tag)");
    }
    base = releases.previous->raw;
  }
  if (auto b = Checkout("head", spec_.head_sha, &head_)) return *b;
  std::optional<RecipeTree> old;
  if (auto b = Checkout("base", base, &old)) return *b;
  UpgradeSafetyInput in;
  in.base = &*old;
  in.head = &*head_;
  in.base_version = base;
  in.head_tag = releases.head ? releases.head->raw : "";
  auto findings = CheckUpgradeSafety(in);
  if (!findings.ok()) return Verdict(kStageFail, findings.status().message());
  for (const Finding& f : *findings) io_->Note(FormatFinding(f));
  if (!findings->empty()) return Verdict(kStageFail, SummarizeFindings(*findings));
  return Verdict(kStagePass, "nothing breaks an upgrade from " + base);
}

std::vector<Finding> HigherRungs::RuntimeFlags(std::optional<RungVerdict>* broke) {
  std::vector<Finding> out;
  CommandOutcome ps =
      io_->RunDocker({"stack", "ps", spec_.stack, "--no-trunc", "--format", "{{json .}}"});
  if ((*broke = Broke(ps, "docker stack ps"))) return out;
  auto tasks = ParseStackPs(ps.output);
  if (!tasks.ok()) {
    *broke = Verdict(kStageUnverified, tasks.status().message());
    return out;
  }
  out = TaskFlags(*tasks);
  CommandOutcome ids = io_->RunDocker({"ps", "--all", "--quiet", "--no-trunc", "--filter",
                                       "label=com.docker.stack.namespace=" + spec_.stack});
  if ((*broke = Broke(ids, "docker ps"))) return out;
  std::vector<std::string> inspect = {"inspect", "--type", "container", "--format",
                                      "{{json .Name}} {{json .State.OOMKilled}}"};
  std::istringstream words(ids.output);
  size_t n = inspect.size();
  for (std::string id; words >> id;) {
    if (id.find_first_not_of("0123456789abcdef") == std::string::npos) inspect.push_back(id);
  }
  if (inspect.size() == n) return out;
  CommandOutcome state = io_->RunDocker(inspect);
  if ((*broke = Broke(state, "docker inspect"))) return out;
  auto oom = OomFlags(state.output);
  if (!oom.ok()) {
    *broke = Verdict(kStageUnverified, oom.status().message());
    return out;
  }
  out.insert(out.end(), oom->begin(), oom->end());
  return out;
}

RungVerdict HigherRungs::Clean(const LintReport* lint, const std::vector<StageRecord>& stages) {
  if (!StagePassed(StatusOf(stages, "install"))) {
    return Verdict(kStageUnverified, "install did not pass: the app was not seen running");
  }
  if (!lint) return Verdict(kStageUnverified, "lint gave no rule table to check");
  if (auto b = Checkout("head", spec_.head_sha, &head_)) return *b;
  std::vector<Finding> findings;
  for (const std::string& rule : lint->failed_rules()) {
    findings.push_back({"", 0, "abra recipe lint: " + rule + " not satisfied"});
  }
  auto services = DeployedServices(*head_);
  if (!services.ok()) return Verdict(kStageFail, services.status().message());
  for (const DeployedService& s : *services) {
    if (!s.healthcheck)
      findings.push_back({s.file, s.line, "service " + s.name + " has no healthcheck"});
  }
  std::optional<RungVerdict> broke;
  std::vector<Finding> flags = RuntimeFlags(&broke);
  if (broke) return *broke;
  findings.insert(findings.end(), flags.begin(), flags.end());
  for (const Finding& f : findings) io_->Note(FormatFinding(f));
  if (!findings.empty()) return Verdict(kStageFail, SummarizeFindings(findings));
  return Verdict(kStagePass, std::to_string(lint->rules.size()) + " lint rules satisfied, " +
                                 std::to_string(services->size()) +
                                 " services with healthchecks, no failed task, no OOM kill");
}

RungVerdict HigherRungs::Maintained(const std::vector<StageRecord>& stages) {
  CommandOutcome dates =
      io_->RunGit({"for-each-ref", "--format=%(refname:short) %(creatordate:unix)", "refs/tags"});
  if (auto b = Broke(dates, "git for-each-ref")) return *b;
  ReleaseAge age =
      CheckReleaseAge(ParseTagDates(dates.output), spec_.now_s, spec_.maintained_months);
  if (auto b = Checkout("head", spec_.head_sha, &head_)) return *b;
  ScoreFacts facts;
  auto services = DeployedServices(*head_);
  facts.healthcheck_everywhere = services.ok() && !services->empty();
  if (services.ok()) {
    for (const DeployedService& s : *services) facts.healthcheck_everywhere &= s.healthcheck;
  }
  auto labels = ScanBackupLabels(spec_.trees_dir + "/head");
  facts.backup_label = labels.ok() && labels->has_backup_label;
  facts.install = StatusOf(stages, "install");
  facts.backup = StatusOf(stages, "backup");
  facts.restore = StatusOf(stages, "restore");
  facts.data_check = spec_.data_check;
  // The level earned when the README is true: this rung counts when rungs 1-7 did and the
  // release is fresh.
  int below = LevelOf(stages).level;
  facts.level = below == domain::kMaxLevel - 1 && age.fresh ? domain::kMaxLevel : below;
  const std::string* readme = head_->File("README.md");
  ScoresReport report = BuildScoresReport(readme ? *readme : "", MeasureScores(facts));
  std::ofstream(spec_.scores_path, std::ios::trunc) << ScoresReportJson(report);
  io_->Note(age.reason);
  if (!age.fresh) return Verdict(kStageFail, age.reason);
  if (!readme) {
    auto why = head_->unreadable.find("README.md");
    return Verdict(kStageFail, why == head_->unreadable.end()
                                   ? "README.md: no README"
                                   : "README.md: not read: " + why->second);
  }
  if (!report.has_block) {
    return Verdict(kStageFail, std::string("README.md: no metadata block (") + kMetadataOpen +
                                   " ... " + kMetadataClose + ")");
  }
  std::vector<Finding> findings;
  for (const ScoreDifference& d : report.differences) {
    findings.push_back(
        {"README.md", d.line,
         d.line ? d.key + " says '" + d.readme + "', cc-ci measured '" + d.measured + "'"
                : "no " + d.key + " score; cc-ci measured '" + d.measured + "'"});
  }
  for (const Finding& f : findings) io_->Note(FormatFinding(f));
  if (!findings.empty()) return Verdict(kStageFail, SummarizeFindings(findings));
  return Verdict(kStagePass, age.reason + "; the README's scores are what cc-ci measured");
}

}  // namespace ccci::runner
