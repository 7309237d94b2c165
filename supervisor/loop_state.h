#pragma once
// What the supervisor knows about one supervised agent (a loop, the orchestrator, or an
// upgrade job), persisted as JSON in <state_dir>/<name>.json
// (written atomically: temp file + rename) so a restarted watchdog carries on where the
// last one stopped. All times are wall-clock Unix milliseconds from the injected Clock.

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "supervisor/process_launcher.h"

namespace ccci::supervisor {

enum class LoopPhase {
  kStopped,      // not wanted, or not started yet
  kRunning,      // an agent session is alive
  kBackoff,      // crashed; relaunch at wait_until_ms
  kRateLimited,  // the agent hit a rate limit; relaunch at wait_until_ms
  kFatal,        // too many fast crashes; waits for `cc-ci-supervisor start`
  kDone,         // the plan is done
  kFinished,     // a job whose agent finished successfully
  kFailed,       // a job whose agent failed, timed out or was interrupted
};
const char* LoopPhaseName(LoopPhase p);

struct LoopState {
  std::string name;
  LoopPhase phase = LoopPhase::kStopped;
  AgentHandle agent;                    // agent.pid == 0 when no session is alive
  std::string session_id;               // claude's session_id from the stream's init line
  int iteration = 0;                    // sessions started in total
  int restarts = 0;                     // sessions started after a crash or a heal
  int heals = 0;                        // stall / no-progress / post-result kills
  int backoff_level = 0;                // consecutive fast crashes
  std::vector<int64_t> crash_times_ms;  // within the fatal window
  int64_t started_at_ms = 0;            // current session
  int64_t last_output_at_ms = 0;
  int64_t result_at_ms = 0;  // when the session printed its final result; 0 = not yet
  bool result_is_error = false;
  int64_t rate_limit_until_ms = 0;  // set by a blocking rate_limit_event in this session
  int64_t wait_until_ms = 0;        // end of backoff or rate-limit sleep
  bool resume_next = false;         // next session resumes session_id (claude)
  bool restart_pending = false;     // next launch follows a crash, heal or rate limit
  bool resumed = false;             // the current session was started with --resume
  bool init_seen = false;           // the current session printed its init line
  int want_generation = 0;          // last `start` generation acted on
  std::string last_output;          // one-line summary of the last output line
  std::string last_reason;          // why the loop last stopped, restarted or went fatal
  bool resume_refused = false;      // the current session said "No conversation found"
  std::string session_note;         // how the current conversation came to be, when notable
  int exit_code = -1;               // of the last session that ended; -1 = unknown
};

std::string LoopStateToJson(const LoopState& s);
Result<LoopState> LoopStateFromJson(const std::string& json);

}  // namespace ccci::supervisor
