#pragma once
// Rungs 6-8 as stages of the suite (DESIGN.md "Level"), run after lint with no deploy of
// their own: they read the recipe (checkouts of the head and of the previous release, made
// with `git worktree add` under the run's work dir), git's tags and docker's view of the
// stack the suite deployed.
//   upgrade-safe  upgrade_safety.h between the previous release and the head; skip when there
//                 is no previous release (nothing to upgrade from).
//   clean         no failed lint rule of any severity, a healthcheck on every deployed service,
//                 and no runtime red flag (runtime_flags.h): the app must have been installed.
//   maintained    the newest release at most `maintained_months` old (release_age.h), and a
//                 README metadata block that agrees with the scores cc-ci measured
//                 (readme_scores.h); the measured scores are written to `scores_path` for the
//                 reporter whatever the outcome.
// Each failure names the file and line (findings go to the stage log, the first one is the
// stage's reason).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bot/runner/finding.h"
#include "bot/runner/lint_report.h"
#include "bot/runner/recipe_tree.h"
#include "bot/store/records.h"

namespace ccci::runner {

// What one command did, as the suite ran it (logged in the current stage's log).
struct CommandOutcome {
  bool started = true;  // false: it could not be started (a missing tool is cc-ci's trouble)
  bool cancelled = false;
  bool ok = false;       // exited 0
  std::string output;    // captured; ANSI sequences and carriage returns removed
  std::string describe;  // "exited 1", "timed out", the start error...
};

// The suite's side: run git in the recipe's clone, docker on the app's server, note a line.
class RungIo {
 public:
  virtual ~RungIo() = default;
  virtual CommandOutcome RunGit(const std::vector<std::string>& args) = 0;  // git -C <clone> ...
  virtual CommandOutcome RunDocker(
      const std::vector<std::string>& args) = 0;  // docker --context S ...
  virtual void Note(const std::string& line) = 0;
};

struct RungVerdict {
  const char* status = kStageError;  // kStage*
  std::string reason;
  bool ci_error = false;  // cc-ci's own trouble (a tool missing): the run gets no level
  bool cancelled = false;
};

struct HigherRungsSpec {
  std::string trees_dir;     // checkouts go to <trees_dir>/head and <trees_dir>/base
  std::string head_sha;      // the commit under test (40 hex)
  std::string upgrade_base;  // the overlay's; empty: the previous x.y.z+upstream release
  std::string stack;         // the app's stack name
  std::string scores_path;   // the README scores report (readme_scores.h)
  int maintained_months = 6;
  int64_t now_s = 0;
  bool data_check = false;  // the overlay declares a data check for the restore
};

class HigherRungs {
 public:
  // `io` must outlive this object.
  HigherRungs(HigherRungsSpec spec, RungIo* io);

  RungVerdict UpgradeSafe();
  // `lint`: the lint stage's table, null when it gave none; `stages`: those recorded so far.
  RungVerdict Clean(const LintReport* lint, const std::vector<StageRecord>& stages);
  RungVerdict Maintained(const std::vector<StageRecord>& stages);

 private:
  // The tree of `rev` checked out at <trees_dir>/<name>, loaded once.
  std::optional<RungVerdict> Checkout(const std::string& name, const std::string& rev,
                                      std::optional<RecipeTree>* out);
  std::optional<RungVerdict> Broke(const CommandOutcome& c, const std::string& what);
  std::vector<Finding> RuntimeFlags(std::optional<RungVerdict>* broke);

  HigherRungsSpec spec_;
  RungIo* io_;
  std::optional<RecipeTree> head_;
};

}  // namespace ccci::runner
