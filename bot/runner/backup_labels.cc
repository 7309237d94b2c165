#include "bot/runner/backup_labels.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>

namespace ccci::runner {
namespace {

constexpr std::string_view kLabel = "backupbot.backup";

bool Enabled(const std::string& value) { return value != "false" && value != "\"false\""; }

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
        bool found = LabelsHaveBackup(body["labels"]);
        const YAML::Node deploy = body["deploy"];
        if (!found && deploy && deploy.IsMap()) found = LabelsHaveBackup(deploy["labels"]);
        if (found) {
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
