#include "bot/runner/backup_labels.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace ccci::runner {
namespace {

constexpr std::string_view kLabel = "backupbot.backup";

// backupbot backs a stack up only when the label is `true`. A compose variable counts by its
// default (`${ENABLE_BACKUPS:-true}`); one without a default is the operator's switch and
// counts as on (a backup that then fails says so, a skip would hide it).
bool Enabled(std::string value) {
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
  };
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
      value.back() == value.front()) {
    value = value.substr(1, value.size() - 2);
  }
  if (value.rfind("${", 0) == 0 && value.back() == '}') {
    std::string inner = value.substr(2, value.size() - 3);
    size_t dash = inner.find('-');
    if (dash == std::string::npos) return inner.find_first_of(":?+") == std::string::npos;
    value = inner.substr(dash + 1);
  }
  return lower(value) == "true";
}

bool LabelsHaveBackup(const YAML::Node& labels) {
  if (!labels) return false;  // absent keys of a const node are invalid, not null
  if (labels.IsSequence()) {
    for (const auto& item : labels) {
      if (!item.IsScalar()) continue;
      std::string s = item.Scalar();
      auto eq = s.find('=');
      std::string key = s.substr(0, eq);
      if (key == kLabel) return Enabled(eq == std::string::npos ? "" : s.substr(eq + 1));
    }
  } else if (labels.IsMap()) {
    for (const auto& kv : labels) {
      if (kv.first.IsScalar() && kv.first.Scalar() == kLabel)
        return Enabled(kv.second.IsScalar() ? kv.second.Scalar() : "");
    }
  }
  return false;
}

}  // namespace

Result<BackupLabelScan> ScanBackupLabels(const std::string& recipe_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(recipe_dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("compose", 0) == 0 && name.size() > 4 &&
        name.substr(name.size() - 4) == ".yml")
      files.push_back(e.path());
  }
  if (ec) return NotFound("cannot list " + recipe_dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  BackupLabelScan scan;
  for (const auto& f : files) {
    try {
      const YAML::Node root = YAML::LoadFile(f.string());
      const YAML::Node services = root["services"];
      if (!services || !services.IsMap()) continue;
      for (const auto& svc : services) {
        const YAML::Node& body = svc.second;
        if (!body.IsMap()) continue;
        // Service labels (deploy.labels) only: backupbot reads the swarm service, never the
        // container labels of `services.X.labels`.
        const YAML::Node deploy = body["deploy"];
        if (deploy && deploy.IsMap() && LabelsHaveBackup(deploy["labels"])) {
          scan.has_backup_label = true;
          scan.services.push_back(f.filename().string() + ":" + svc.first.Scalar());
        }
      }
    } catch (const YAML::Exception& e) {
      return InvalidArgument(f.string() + ": " + e.what());
    }
  }
  return scan;
}

}  // namespace ccci::runner
