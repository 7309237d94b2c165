#pragma once
// The README scores cc-ci can measure, so a recipe's metadata block stays true. Co-op Cloud's
// recipe docs (https://docs.coopcloud.tech/recipes/, "Status / features / scoring") say
// maintainers "need to update the scores in this section manually"; cc-ci measures three of
// them and leaves the others (Category, Status, Image, Email, SSO) as the maintainer wrote
// them:
//   Healthcheck  Yes / No, as the docs' example writes it: Yes when every service the app
//                deploys has a healthcheck and the app came up with them (install passed);
//                No when a service has none; not measured otherwise.
//   Backups      Yes / No: Yes when a service carries the backupbot.backup label, the backup
//                passed and the restore was proven by the overlay's data check; No without
//                the label, or when the backup or the restore failed; not measured otherwise
//                (a restore nobody checked proves nothing).
//   Tests        the docs' scale ("0: none", "1: basic deployment ... manual secrets +
//                networks", "2: auto secrets + networks", "3: as 2, plus healthcheck")
//                followed by cc-ci's level: cc-ci deploys with generated secrets and the
//                recipe's networks, so a deploy that passed is 2, and 3 with a healthcheck
//                on every service: "3, cc-ci level 8". The level is the one the recipe earns
//                when its README is true (rung 8 asks the README to agree with cc-ci).

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "bot/runner/readme_metadata.h"

namespace ccci::runner {

inline constexpr const char* kScoreHealthcheck = "Healthcheck";
inline constexpr const char* kScoreBackups = "Backups";
inline constexpr const char* kScoreTests = "Tests";
// Written beside a run's stage logs by rung 8, read by the reporter.
inline constexpr const char* kScoresReportFile = "readme-scores.json";

struct ScoreFacts {
  bool healthcheck_everywhere = false;  // every deployed service has one
  std::string install;                  // the stage statuses; "" when it did not run
  bool backup_label = false;
  std::string backup, restore;
  bool data_check =
      false;      // the overlay declares a data check (so a restore that passed proved it)
  int level = 0;  // the level earned when the README is true
};

// Key -> value of each score cc-ci can vouch for.
std::map<std::string, std::string> MeasureScores(const ScoreFacts& facts);

// Does the README's value say what cc-ci measured? Healthcheck and Backups by their first
// word (yes/no, any case); Tests by the docs' score (a digit, or a numeral like ❷) and, when
// cc-ci's value names a level, "cc-ci level N".
bool ScoreAgrees(const std::string& key, const std::string& readme_value,
                 const std::string& measured);

struct ScoreDifference {
  std::string key;
  std::string readme;  // the README's value ("" when empty or absent)
  std::string measured;
  int line = 0;  // of the README's field; 0 when the block lacks it
};

struct ScoresReport {
  std::string file = "README.md";
  bool has_block = false;
  std::map<std::string, std::string> measured;
  std::vector<ScoreDifference> differences;  // empty: the README agrees
  std::string measured_block;  // the block with the measured values written in; "" without one
};

ScoresReport BuildScoresReport(const std::string& readme,
                               const std::map<std::string, std::string>& measured);

// `readme` with the measured scores written into its block where they differ, every other byte
// as it was; `readme` itself when it has no block or already agrees.
std::string ReadmeWithScores(const std::string& readme,
                             const std::map<std::string, std::string>& measured);

std::string ScoresReportJson(const ScoresReport& report);
Result<ScoresReport> ParseScoresReport(const std::string& json);

}  // namespace ccci::runner
