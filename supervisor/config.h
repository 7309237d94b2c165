#pragma once
// Supervisor configuration: a struct with documented defaults, filled from an INI file and
// then from the environment (the environment wins), then checked by Validate().
//
// INI (all keys optional; sections are only for readability, keys are matched by name):
//   [loop]      backend=claude|opencode  model=...  opencode_url=...  claude_bin=claude
//               opencode_bin=opencode  unset_env=VAR1,VAR2
//   [watchdog]  stall_after=900  no_progress_after=7200  result_grace=60  stop_grace=10
//               backoff_initial=10  backoff_max=900  backoff_jitter=0.2  stable_after=600
//               fatal_crashes=5  fatal_window=600  rate_limit_min=60  rate_limit_max=21600
//               rate_limit_fallback=300  tick=1  progress_every=30
//   [orchestrator] orchestrator_stall_after=1800  orchestrator_interval=600
//   [upgrader]  upgrader_backend=  upgrader_model=  upgrade_timeout=14400
//   [paths]     state_dir=...  plans_dir=plans  prompts_dir=prompts  main_ref=main
//               remote_url=  remote_timeout=20
//   [logs]      log_max_bytes=10485760  log_keep=3
// Durations are seconds. Environment: LOOP_BACKEND, LOOP_MODEL, LOOP_OPENCODE_URL,
// CC_CI_SUPERVISOR_STATE_DIR, CLAUDE_BIN, OPENCODE_BIN, CC_CI_REPO (remote_url),
// UPGRADER_BACKEND, UPGRADER_MODEL (see UpgraderConfig for how they meet LOOP_*).

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace ccci::supervisor {

using Seconds = std::chrono::seconds;

enum class Backend { kClaude, kOpencode };
const char* BackendName(Backend b);

struct SupervisorConfig {
  std::string repo;                     // the git work tree the loops work in (absolute)
  std::string state_dir;                // default <repo>/.cc-ci-supervisor
  std::string plans_dir = "plans";      // relative to repo
  std::string prompts_dir = "prompts";  // relative to repo
  std::string main_ref = "main";        // where "## DONE" is read from
  // When set (a git URL or path), DONE is read from this remote's main_ref, fetched on each
  // plan check, instead of the local repository's. May carry credentials: never log it raw
  // (RedactUrl).
  std::string remote_url;
  Seconds remote_timeout{20};  // one fetch is killed after this long (the watchdog waits)

  Backend backend = Backend::kClaude;
  std::string model = "sonnet";
  std::string opencode_url = "http://127.0.0.1:4096";
  std::string claude_bin = "claude";
  std::string opencode_bin = "opencode";
  std::vector<std::string> unset_env;  // extra variables removed from the agent's env

  Seconds tick{1};                  // watchdog period
  Seconds progress_every{30};       // how often git/journal progress and the plan are read
  Seconds stall_after{900};         // no output for this long -> kill + resume
  Seconds no_progress_after{7200};  // no commit and no JOURNAL.md change -> kill + resume
  Seconds result_grace{60};         // final `result` printed but still running -> kill
  Seconds stop_grace{10};           // SIGTERM -> SIGKILL
  Seconds backoff_initial{10};
  Seconds backoff_max{900};
  double backoff_jitter = 0.2;  // +- fraction of the delay
  Seconds stable_after{600};    // a run this long resets the backoff
  int fatal_crashes = 5;        // this many crashes...
  Seconds fatal_window{600};    // ...within this window -> state fatal
  Seconds rate_limit_min{60};   // clamp of a rate-limit sleep
  Seconds rate_limit_max{21600};
  Seconds rate_limit_fallback{300};        // rejected event without a usable resetsAt
  Seconds orchestrator_stall_after{1800};  // the orchestrator's own stall limit
  Seconds orchestrator_interval{600};      // pause between two turns of the orchestrator
  // The one-shot upgrader; empty / unset = the loops' backend and model. LOOP_BACKEND and
  // LOOP_MODEL still win over these (UpgraderConfig).
  std::optional<Backend> upgrader_backend;
  std::string upgrader_model;
  Seconds upgrade_timeout{14400};  // the whole job, resumes included
  long long log_max_bytes = 10 * 1024 * 1024;
  int log_keep = 3;

  Status Validate() const;
};

// Parses INI text into key -> value ("section.key" and plain "key" both stored).
Result<std::map<std::string, std::string>> ParseIni(const std::string& text);

// Defaults for `repo`, then `ini_path` (if non-empty; missing file is an error), then the
// given environment (name -> value). Does not call Validate().
Result<SupervisorConfig> LoadConfig(const std::string& repo, const std::string& ini_path,
                                    const std::map<std::string, std::string>& env);

// The configuration the one-shot upgrader runs with. Backend and model come from
// UPGRADER_BACKEND / UPGRADER_MODEL (already in config.upgrader_*, env over INI), except that
// LOOP_BACKEND / LOOP_MODEL, when set (non-empty) in `env`, take precedence; what neither
// names stays the loops' setting.
SupervisorConfig UpgraderConfig(const SupervisorConfig& config,
                                const std::map<std::string, std::string>& env);

// `url` with any user:password@ part replaced by "***@", for logs and status.
std::string RedactUrl(const std::string& url);

// The process environment as a map.
std::map<std::string, std::string> CurrentEnvironment();

}  // namespace ccci::supervisor
