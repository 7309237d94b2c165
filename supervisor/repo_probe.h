#pragma once
// What the watchdog reads from the repository: the plan's phases and whether each carries
// `## DONE` on the main branch (read through git, never the work tree, so a half-edited
// file does not end the run), and a progress stamp (HEAD + JOURNAL.md) for stall healing.
//
// Phases are the files plans/NN*.md (name starts with a digit) in name order; when there is
// none, plans/plan.md alone is the plan. A phase is done when a line of it reads `## DONE`.

#include <string>
#include <vector>

#include "base/status.h"

namespace ccci::supervisor {

struct PlanStatus {
  std::vector<std::string> phases;  // paths relative to the repo, in order
  size_t current = 0;               // index of the first phase not done; == size() when all are
  bool AllDone() const { return !phases.empty() && current >= phases.size(); }
  std::string CurrentFile() const { return current < phases.size() ? phases[current] : ""; }
};

class RepoProbe {
 public:
  virtual ~RepoProbe() = default;
  virtual Result<PlanStatus> ReadPlan() = 0;
  // Changes whenever a commit lands (HEAD moves) or JOURNAL.md is written.
  virtual Result<std::string> ProgressStamp() = 0;
  // "<short sha> <subject>" of HEAD, or "" when unknown.
  virtual std::string LastCommit() = 0;
};

class GitRepoProbe : public RepoProbe {
 public:
  // `ref` is where plans are read from (e.g. "main"); `plans_dir` is relative to `repo`.
  GitRepoProbe(std::string repo, std::string plans_dir, std::string ref);
  Result<PlanStatus> ReadPlan() override;
  Result<std::string> ProgressStamp() override;
  std::string LastCommit() override;

 private:
  std::string repo_;
  std::string plans_dir_;
  std::string ref_;
};

bool HasDoneMarker(const std::string& plan_text);
// Which of `names` (file names inside the plans dir) are phases, in order.
std::vector<std::string> PhaseFiles(const std::vector<std::string>& names);

// Runs argv (PATH lookup), returns its stdout when it exits 0. stderr is discarded.
Result<std::string> RunAndCapture(const std::vector<std::string>& argv);

}  // namespace ccci::supervisor
