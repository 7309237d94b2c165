#include "bot/runner/backup_labels.h"
#include "bot/runner/suite_run.h"

namespace ccci::runner {

void SuiteRun::Backup() {
  if (SkippedUpFront("backup")) return;
  if (!prepared_) return Record("backup", kStageUnverified, "the recipe could not be prepared");
  auto scan = ScanBackupLabels(recipe_dir_);
  if (!scan.ok()) return Record("backup", kStageFail, scan.status().message());
  if (!scan->has_backup_label) {
    no_backup_ = true;
    return Record("backup", kStageSkip, "no backupbot.backup label in compose*.yml");
  }
  if (!Passed("install")) return Record("backup", kStageUnverified, "install did not pass");
  if (stages_status_.count("upgrade") && !Passed("upgrade") &&
      stages_status_["upgrade"] != std::string(kStageSkip)) {
    return Record("backup", kStageUnverified, "the upgrade left the app in an unknown state");
  }
  StageRecord st = Begin("backup");
  if (!spec_.overlay.data_seed.empty()) {
    Step seed = Check(spec_.overlay.data_seed);
    if (StopUnlessOk(st, seed, "sh",
                     {kStageFail, "the data check's seed " + seed.DescribeWithOutput(),
                      seed.result.exit_code})) {
      return;
    }
  }
  // Right after a deploy a backup can fail (409) until the app is really up: retry.
  Step b;
  for (int attempt = 1; attempt <= 3; ++attempt) {
    b = Abra({"app", "backup", "create", "--no-input"}, {spec_.domain});
    if (StopUnlessOk(st, b, "abra")) return;
    if (b.ok()) return Push(End(st, kStagePass, "", 0));
    if (b.result.timed_out || b.result.signal) break;  // a hang is not worth repeating
    if (attempt < 3) {
      log_->Note("backup attempt " + std::to_string(attempt) + " failed; retrying");
      deps_.sleep(spec_.retry_delay);
    }
  }
  Push(End(st, kStageFail, "abra app backup create " + b.DescribeWithOutput(), b.result.exit_code));
}

void SuiteRun::Restore() {
  if (SkippedUpFront("restore")) return;
  if (no_backup_) return Record("restore", kStageSkip, "no backupbot.backup label in compose*.yml");
  if (!Passed("backup")) return Record("restore", kStageUnverified, "backup did not pass");
  StageRecord st = Begin("restore");
  bool data_check = !spec_.overlay.data_verify.empty();
  if (data_check) {
    // Changed after the backup, so that only a restore brings the seeded data back.
    Step change = Check(spec_.overlay.data_change);
    if (StopUnlessOk(
            st, change, "sh",
            {kStageUnverified, "the data check's change " + change.DescribeWithOutput()})) {
      return;
    }
  }
  Step r = Abra({"app", "restore", "--no-input"}, {spec_.domain});
  if (StopUnlessOk(
          st, r, "abra",
          {kStageFail, "abra app restore " + r.DescribeWithOutput(), r.result.exit_code})) {
    return;
  }
  if (StopUnlessReady(st, {kStageFail, "after the restore ", 0})) return;
  if (!data_check) return Push(End(st, kStagePass, "", 0));
  Step verify = Check(spec_.overlay.data_verify);
  if (StopUnlessOk(
          st, verify, "sh",
          {kStageFail,
           "the restored data is not what was backed up: verify " + verify.DescribeWithOutput(),
           verify.result.exit_code})) {
    return;
  }
  Push(End(st, kStagePass, "the seeded data came back", 0));
}

}  // namespace ccci::runner
