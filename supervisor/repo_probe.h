#pragma once
// What the watchdog reads from the repository: the plan's phases and whether each carries
// `## DONE` on the main branch (read through git, never the work tree, so a half-edited
// file does not end the run), and a progress stamp (HEAD + JOURNAL.md) for stall healing.
//
// Phases are the files plans/NN*.md (name starts with a digit) in name order; when there is
// none, plans/plan.md alone is the plan. A phase is done when a line of it reads `## DONE`.
//
// GitRepoProbe reads the plan from the local repository's main branch; RemoteRepoProbe
// fetches the real remote's main first (CC_CI_REPO), so `## DONE` pushed from anywhere counts.

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

namespace ccci::supervisor {

struct SupervisorConfig;

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
  // Where ReadPlan reads, for status and logs (credentials redacted).
  virtual std::string PlanSource() { return ""; }
};

class GitRepoProbe : public RepoProbe {
 public:
  // `ref` is where plans are read from (e.g. "main"); `plans_dir` is relative to `repo`.
  GitRepoProbe(std::string repo, std::string plans_dir, std::string ref);
  Result<PlanStatus> ReadPlan() override;
  Result<std::string> ProgressStamp() override;
  std::string LastCommit() override;
  std::string PlanSource() override { return "local " + ref_; }

 private:
  std::string repo_;
  std::string plans_dir_;
  std::string ref_;
};

// Reads the plan from `url`'s branch `ref`: every ReadPlan() first fetches that branch (shallow,
// forced, no tags, killed after `timeout`, never prompting for credentials) into
// refs/cc-ci/remote-main of a private bare cache at `cache_dir` (created on first use; the
// loops' repository is never touched), then reads the plan there. A failed fetch is an
// error, never an answer from an older fetch. Progress and the last commit are the local
// work tree's.
class RemoteRepoProbe : public RepoProbe {
 public:
  RemoteRepoProbe(std::string repo, std::string plans_dir, std::string url, std::string ref,
                  std::string cache_dir, std::chrono::seconds timeout);
  Result<PlanStatus> ReadPlan() override;
  Result<std::string> ProgressStamp() override { return local_.ProgressStamp(); }
  std::string LastCommit() override { return local_.LastCommit(); }
  std::string PlanSource() override;

  static constexpr const char kCacheRef[] = "refs/cc-ci/remote-main";

 private:
  Status Fetch();
  GitRepoProbe local_;
  GitRepoProbe cache_;
  std::string url_;
  std::string ref_;
  std::string cache_dir_;
  std::chrono::seconds timeout_;
};

// The probe the watchdog reads through: a RemoteRepoProbe fetching into `cache_dir` when
// config.remote_url (CC_CI_REPO) is set, otherwise a GitRepoProbe of the local repository.
std::unique_ptr<RepoProbe> MakeRepoProbe(const SupervisorConfig& config,
                                         const std::string& cache_dir);

bool HasDoneMarker(const std::string& plan_text);
// Which of `names` (file names inside the plans dir) are phases, in order.
std::vector<std::string> PhaseFiles(const std::vector<std::string>& names);

struct RunOptions {
  // > 0: the command (and its whole process group: it runs in its own) is killed after this
  // long, and the call fails with DeadlineExceeded.
  std::chrono::milliseconds timeout{0};
  std::map<std::string, std::string> set_env;  // added to (or replacing in) the environment
  bool stderr_in_error = false;                // a failure's message ends with the command's stderr
};

// Runs argv (PATH lookup), returns its stdout when it exits 0. stderr is discarded.
Result<std::string> RunAndCapture(const std::vector<std::string>& argv,
                                  const RunOptions& options = {});

}  // namespace ccci::supervisor
