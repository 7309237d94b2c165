#pragma once
// The generic recipe suite (DESIGN.md "Stages of one run"): install, upgrade, backup,
// restore, functional, lint, the rungs above it (upgrade-safe, clean, maintained:
// higher_rungs.h), screenshot, teardown, run through abra with zero per-recipe
// configuration (an operator's overlay may add to it). Every stage is recorded honestly:
// pass, fail, skip (structural or declared, with the reason), unverified (could not be
// checked because an earlier stage broke the app) or error (cc-ci's own trouble: abra
// missing, server unreachable, the PR head not fetchable, cancelled). Teardown always runs.
//
// The suite is independent of the store and the forge: the scheduler (and `cc-ci check`)
// give it a spec, an Executor and an observer that hears about each stage as it starts and
// ends. Nothing from the spec that a webhook named reaches a command as an option: git gets
// `--end-of-options` and abra (cobra) `--` before such arguments, the recipe's checkout path
// must stay under the run's dir (base/path_under.h), and every command runs with a built
// environment (no CC_CI_* secret) and GIT_ALLOW_PROTOCOL.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "bot/runner/executor.h"
#include "bot/runner/overlay.h"
#include "bot/store/artifact_store.h"
#include "bot/store/records.h"

namespace ccci::runner {

// Stage names, in suite order.
inline constexpr const char* kSuiteStages[] = {
    "install",      "upgrade", "backup",     "restore",    "functional", "lint",
    "upgrade-safe", "clean",   "maintained", "screenshot", "teardown"};

struct SuiteSpec {
  int64_t run_id = 0;              // 0 for `cc-ci check`
  std::string recipe;              // the recipe's name (abra's recipe dir name)
  std::string source;              // git URL or local path the recipe is cloned from
  std::string ref;                 // the commit (or branch/tag) under test
  std::string fetch_ref;           // fetched when `ref` is not in a plain clone (refs/pull/N/head)
  std::string domain;              // the app's domain, unique to this run
  std::string server = "default";  // abra server name ("default": the local swarm)
  std::string work_dir;            // the run's own dir (ABRA_DIR inside); removed by teardown
  std::string log_dir;             // absolute dir for stage logs and the screenshot
  std::string log_rel_dir;         // the same, as recorded in StageRecord::log_path
  std::string abra = "abra";
  std::string docker = "docker";
  std::string app_url = "https://{domain}{health_path}";  // readiness URL template
  std::vector<std::string> connect_to;                    // like curl --connect-to
  bool verify_tls = false;
  std::chrono::seconds stage_timeout{20 * 60};  // each abra command
  std::chrono::seconds ready_timeout{10 * 60};  // the app answering after a deploy
  std::chrono::milliseconds probe_interval{2000};
  // Between retries of a backup (409 right after a deploy) or a volume removal (the
  // undeployed tasks still hold it).
  std::chrono::seconds retry_delay{10};
  // Between looks at the swarm while an undeployed stack's tasks stop.
  std::chrono::milliseconds swarm_poll{250};
  bool recipe_approved = false;  // may the recipe's own checks (overlay recipe_checks) run?
  // Copied from cc-ci's environment into every command's, besides the base names of
  // base/child_env.h (runner.pass_env); cc-ci's own CC_CI_* never are.
  std::vector<std::string> pass_env;
  // What git may use to fetch (GIT_ALLOW_PROTOCOL, set for every command):
  // CloneSources::GitProtocols() for a run; "file" is needed only to clone a local path.
  std::string git_protocols = "https:http:ssh";
  // Default-branch runs: a failed stage runs once more, `flaky` if it then passes
  // (bot/runner/stage_retry.h). Never for PR runs.
  bool retry_failed_stages = false;
  Overlay overlay;
  std::vector<std::string> secrets;  // redacted from logs
  size_t log_cap_bytes = 10 << 20;   // per stage log
  int maintained_months = 6;         // rung 8: the newest release at most this old
  // Which attempt of the run this is (Run::attempts). A later attempt may find what an earlier
  // one left deployed (its worker was lost): install undeploys it before deploying.
  int64_t attempt = 1;
};

class SuiteObserver {
 public:
  virtual ~SuiteObserver() = default;
  virtual void StageStarted(const StageRecord& stage) = 0;   // status running
  virtual void StageFinished(const StageRecord& stage) = 0;  // final status
};

struct SuiteDeps {
  Executor* executor = nullptr;
  Clock* clock = RealClock();
  // Waits between readiness probes and backup retries; tests pass one that returns at once.
  std::function<void(std::chrono::milliseconds)> sleep;
  // Captures `url` into `out_png`; empty: the screenshot stage is skipped.
  std::function<Status(const std::string& url, const std::string& out_png)> screenshot;
  SuiteObserver* observer = nullptr;  // may be null
  // Where stage logs and the screenshot are copied for other hosts to serve; may be null
  // (`cc-ci check`: files only).
  ArtifactStore* artifacts = nullptr;
};

struct SuiteResult {
  std::vector<StageRecord> stages;  // in suite order, teardown last
  bool ci_error = false;            // cc-ci's own trouble: no level
  std::string ci_error_reason;
  bool cancelled = false;
  std::string sha;  // the commit tested (spec.ref resolved); empty if it could not be fetched
};

SuiteResult RunSuite(const SuiteSpec& spec, const SuiteDeps& deps, const CancelToken& cancel);

// Only the teardown stage (undeploy, remove the app, delete the work dir): for runs cc-ci
// was interrupted in (a restart).
StageRecord RunTeardown(const SuiteSpec& spec, const SuiteDeps& deps);

// The run's stack removed with docker alone, for a run whose app this host never set up (its
// work dir, with abra's env file, is on the host whose worker was lost, or gone): `docker
// stack rm` of StackName(spec.domain), the wait until its tasks, containers and networks are
// gone, `docker volume rm` of its volumes (by the stack's label) and `docker secret rm` of the
// secrets its services used that are named `<stack>_...`. Logged to the run's log dir as
// "reaper.log". kStagePass when all of that went.
StageRecord RemoveStack(const SuiteSpec& spec, const SuiteDeps& deps);

// abra's stack name for a domain: dots become underscores, at most 45 characters.
std::string StackName(const std::string& domain);

// `<recipe>-<pr>-<id>.<suffix>` with a first label that is a valid DNS label (lower-case
// letters, digits and '-', at most 63 characters, no leading or trailing '-').
std::string RunDomain(const std::string& recipe, int64_t pr, int64_t run_id,
                      const std::string& suffix);

}  // namespace ccci::runner
