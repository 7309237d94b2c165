#include "base/whole_file.h"
#include "bot/runner/suite_run.h"

namespace ccci::runner {

void SuiteRun::Screenshot() {
  if (SkippedUpFront("screenshot", /*generic_only=*/false)) return;
  if (!deps_.screenshot) return Record("screenshot", kStageSkip, "no browser configured");
  if (!Passed("install")) return Record("screenshot", kStageUnverified, "install did not pass");
  StageRecord st = Begin("screenshot");
  std::string url = AppUrl("/");
  std::string file = spec_.log_dir + "/" + kScreenshotFile;
  Status s = deps_.screenshot(url, file);
  if (!s.ok())
    return Push(End(st, kStageUnverified, "no screenshot of " + url + ": " + s.message()));
  log_->Note("captured " + url);
  if (deps_.artifacts && spec_.run_id > 0) {
    // In the store too, for the dashboards (and cards) of other hosts. Not having it there
    // costs those a placeholder, not the stage.
    Status kept =
        deps_.artifacts->PutBlob(spec_.run_id, kScreenshotFile, "image/png", ReadWholeFile(file));
    if (!kept.ok()) log_->Note("the screenshot is not in the store: " + kept.message());
  }
  Push(End(st, kStagePass, ""));
}

}  // namespace ccci::runner
