#include "bot/runner/backup_labels.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace ccci::runner {
namespace {

const std::string kRecipes = std::string(CCCI_SHARED_DIR) + "/recipes";

TEST(BackupLabels, BonfireHasBothForms) {
  auto scan = ScanBackupLabels(kRecipes + "/bonfire");
  ASSERT_TRUE(scan.ok()) << scan.status().ToString();
  EXPECT_TRUE(scan->has_backup_label);
  bool list_form = false, map_form = false;
  for (const auto& s : scan->services) {
    if (s.rfind("compose.yml:", 0) == 0) list_form = true;
    if (s.rfind("compose.postgres.yml:", 0) == 0) map_form = true;
  }
  EXPECT_TRUE(list_form);
  EXPECT_TRUE(map_form);
}

TEST(BackupLabels, TraefikHasNone) {
  auto scan = ScanBackupLabels(kRecipes + "/traefik");
  ASSERT_TRUE(scan.ok()) << scan.status().ToString();
  EXPECT_FALSE(scan->has_backup_label);
  EXPECT_TRUE(scan->services.empty());
}

TEST(BackupLabels, OnlyTrueServiceLabelsCountAndBadYamlIsAnError) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("ccci-labels-" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "compose.yml") << "services:\n  app:\n    deploy:\n      labels:\n"
                                        "        backupbot.backup: \"false\"\n"
                                        "        backupbot.backup.pre-hook: x\n";
  auto scan = ScanBackupLabels(dir.string());
  ASSERT_TRUE(scan.ok());
  EXPECT_FALSE(scan->has_backup_label);
  // Container labels are not what backupbot reads; values other than true do not count.
  std::ofstream(dir / "compose.yml") << "services:\n  app:\n    labels:\n"
                                        "      backupbot.backup: \"true\"\n"
                                        "  db:\n    deploy:\n      labels:\n"
                                        "        - backupbot.backup=${ENABLE_BACKUPS:-false}\n"
                                        "  web:\n    deploy:\n      labels:\n"
                                        "        backupbot.backup: \"no\"\n";
  scan = ScanBackupLabels(dir.string());
  ASSERT_TRUE(scan.ok());
  EXPECT_FALSE(scan->has_backup_label) << scan->services.front();
  std::ofstream(dir / "compose.yml") << "services:\n  app:\n    deploy:\n      labels:\n"
                                        "        - backupbot.backup=True\n"
                                        "  db:\n    deploy:\n      labels:\n"
                                        "        backupbot.backup: ${BACKUPS}\n"
                                        "  web:\n    deploy:\n      labels:\n"
                                        "        backupbot.backup: '${ON-true}'\n";
  scan = ScanBackupLabels(dir.string());
  ASSERT_TRUE(scan.ok());
  EXPECT_EQ(scan->services, (std::vector<std::string>{"compose.yml:app", "compose.yml:db",
                                                       "compose.yml:web"}));
  std::ofstream(dir / "compose.bad.yml") << "services: [\n";
  auto bad = ScanBackupLabels(dir.string());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("compose.bad.yml"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ccci::runner
