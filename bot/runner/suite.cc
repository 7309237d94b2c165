#include "bot/runner/suite.h"

#include <string_view>

#include "base/log.h"
#include "base/private_files.h"
#include "bot/runner/suite_run.h"

namespace ccci::runner {
namespace {

// One row of the suite: the stage and, for install, what its retry runs instead.
struct StageMethods {
  const char* name;
  void (SuiteRun::*run)();
  void (SuiteRun::*again)() = nullptr;
};

// The stage logs go under spec.log_dir. A run whose folder cannot be made still runs (its
// stages fail on their own terms), but the cause is logged here, where it is known.
void MakeLogDir(const SuiteSpec& spec) {
  if (Status made = MakePrivateDirs(spec.log_dir); !made.ok()) {
    LogWarn("run.log_dir_failed", {{"dir", spec.log_dir}, {"reason", made.message()}});
  }
}

}  // namespace

// The driver: each stage of kSuiteStages in order, through its retry (stage_retry.h says
// which stages have one). The table must name the stages as kSuiteStages does.
SuiteResult SuiteRun::Run() {
  static constexpr StageMethods kStages[] = {
      {"install", &SuiteRun::Install, &SuiteRun::InstallAgain},
      {"upgrade", &SuiteRun::Upgrade},
      {"backup", &SuiteRun::Backup},
      {"restore", &SuiteRun::Restore},
      {"functional", &SuiteRun::Functional},
      {"lint", &SuiteRun::Lint},
      {"upgrade-safe", &SuiteRun::UpgradeSafe},
      {"clean", &SuiteRun::Clean},
      {"maintained", &SuiteRun::Maintained},
      {"screenshot", &SuiteRun::Screenshot},
      {"teardown", &SuiteRun::TeardownStage}};
  static_assert(std::size(kStages) == std::size(kSuiteStages));
  static_assert([] {
    for (size_t i = 0; i < std::size(kStages); ++i) {
      if (std::string_view(kStages[i].name) != kSuiteStages[i]) return false;
    }
    return true;
  }());
  for (const StageMethods& stage : kStages) WithRetry(stage.run, stage.again);
  result_.sha = head_sha_;
  return std::move(result_);
}

SuiteResult RunSuite(const SuiteSpec& spec, const SuiteDeps& deps, const CancelToken& cancel) {
  MakeLogDir(spec);
  SuiteRun run(spec, deps, cancel);
  return run.Run();
}

StageRecord RunTeardown(const SuiteSpec& spec, const SuiteDeps& deps) {
  MakeLogDir(spec);
  CancelToken never;
  SuiteRun run(spec, deps, never);
  return run.Teardown();
}

StageRecord RemoveStack(const SuiteSpec& spec, const SuiteDeps& deps) {
  MakeLogDir(spec);
  CancelToken never;
  SuiteRun run(spec, deps, never);
  return run.RemoveStack();
}

std::string StackName(const std::string& domain) {
  std::string s = ReplaceAll(domain, ".", "_");
  if (s.size() > 45) s.resize(45);
  return s;
}

std::string RunDomain(const std::string& recipe, int64_t pr, int64_t run_id,
                      const std::string& suffix) {
  std::string tail = "-" + std::to_string(pr) + "-" + std::to_string(run_id);
  std::string name;
  for (char c : recipe) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9'))
      name += l;
    else if (!name.empty() && name.back() != '-')
      name += '-';
  }
  while (!name.empty() && name.back() == '-') name.pop_back();
  if (name.empty()) name = "recipe";
  if (name.size() + tail.size() > 63) name.resize(63 - tail.size());
  while (!name.empty() && name.back() == '-') name.pop_back();
  return name + tail + (suffix.empty() ? "" : "." + suffix);
}

}  // namespace ccci::runner
