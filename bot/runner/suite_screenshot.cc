#include "bot/runner/suite_run.h"

namespace ccci::runner {

void SuiteRun::Screenshot() {
  if (SkippedUpFront("screenshot", /*generic_only=*/false)) return;
  if (!deps_.screenshot) return Record("screenshot", kStageSkip, "no browser configured");
  if (!Passed("install")) return Record("screenshot", kStageUnverified, "install did not pass");
  StageRecord st = Begin("screenshot");
  std::string url = AppUrl("/");
  Status s = deps_.screenshot(url, spec_.log_dir + "/" + kScreenshotFile);
  if (!s.ok())
    return Push(End(st, kStageUnverified, "no screenshot of " + url + ": " + s.message()));
  log_->Note("captured " + url);
  // For the dashboards (and cards) of other hosts. Not having it there costs those a
  // placeholder, not the stage.
  KeepInStore(kScreenshotFile, "image/png");
  Push(End(st, kStagePass, ""));
}

}  // namespace ccci::runner
