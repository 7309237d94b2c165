#pragma once
// Structural fact for the backup/restore stages: does any service in the recipe's
// compose*.yml files carry the `backupbot.backup` label as backupbot reads it: a service
// label (under `deploy.labels`; container `labels` are not seen by backupbot), in list form
// "backupbot.backup=..." or map form `backupbot.backup: ...`, with the value true. A compose
// variable counts by its default (`${ENABLE_BACKUPS:-true}` does, `${X:-false}` does not);
// one without a default counts.

#include <string>
#include <vector>

#include "base/status.h"

namespace ccci::runner {

struct BackupLabelScan {
  bool has_backup_label = false;
  std::vector<std::string> services;  // "compose.yml:app" for each labelled service
};

// Scans every compose*.yml directly in `recipe_dir`. A file that is not valid YAML is an
// InvalidArgument naming the file.
Result<BackupLabelScan> ScanBackupLabels(const std::string& recipe_dir);

}  // namespace ccci::runner
