#pragma once
// The records the store keeps (deliveries, runs, stages, commands) and the states a run and a
// stage go through. The interfaces over them are the store's slices (store.h lists them).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace ccci {

// Run states. A run moves queued -> running -> finished | error | cancelled; a queued run
// may instead become superseded (a newer push) or cancelled (PR closed); waiting means it
// needs a trusted user's `!cc-ci ok-to-test` first.
inline constexpr const char* kRunQueued = "queued";
inline constexpr const char* kRunWaiting = "waiting";
inline constexpr const char* kRunRunning = "running";
inline constexpr const char* kRunFinished = "finished";
inline constexpr const char* kRunError = "error";
inline constexpr const char* kRunCancelled = "cancelled";
inline constexpr const char* kRunSuperseded = "superseded";

struct Delivery {
  std::string id;  // X-Gitea-Delivery
  // The signed body's fingerprint: its HMAC-SHA256 under the first webhook secret, in hex
  // (the signature check computes it anyway; a second hash of a 16 KB body was 7% of the
  // intake's CPU). The signature does not cover the delivery id, so a body replayed under a
  // new id is recognised by this (within storage.delivery_retention), unless the first
  // secret changed in between. '' for a delivery made by cc-ci itself.
  std::string body_digest;
  std::string event;
  std::string event_type;
  std::string action;
  std::string repo;
  int64_t pr = 0;
  std::string head_sha;
  std::string sender;
  int64_t received_at_ms = 0;
};

// What a new run should test. pr == 0 is a branch run (a push to the default branch).
struct RunRequest {
  std::string repo;
  int64_t pr = 0;
  std::string head_sha;
  std::string head_ref;
  std::string base_ref;
  std::string clone_url;
  std::string title;
  std::string author;
  std::string trigger;  // opened | reopened | synchronized | push | retest | reconcile
};

struct CommandRequest {
  std::string repo;
  int64_t pr = 0;
  int64_t comment_id = 0;
  std::string author;
  std::string body;
  std::optional<bool> author_can_push;  // from the payload's repository.permissions
};

// What a pull_request delivery says of its PR's state, to tell news from a replay of an older
// payload (issue 11.11): Gitea's pull_request.updated_at only grows.
struct PrFreshness {
  int64_t updated_at_ms = 0;
  std::string state;  // open | closed
  // When the delivery is no newer than the newest recorded for the PR but says otherwise
  // (another head, another state): true keeps its work for the reconciler to check with
  // Gitea (PrCheckStore); false (no forge to ask) applies it.
  bool ask_forge = false;
  bool verified = false;  // Gitea confirmed the work: apply it whatever is recorded
};

// The work a delivery causes, decided by the intake before anything is stored.
struct Work {
  enum class Kind { kNone, kQueueRun, kCancel, kCommand };
  Kind kind = Kind::kNone;
  std::string ignored_reason;  // kNone: why nothing is done ("ignored: ...")
  RunRequest run;              // kQueueRun
  CommandRequest command;      // kCommand
  std::string cancel_repo;     // kCancel
  int64_t cancel_pr = 0;
  std::string cancel_reason;
  // For the work of a pull_request delivery (a PR run or a cancel), when it has updated_at.
  std::optional<PrFreshness> freshness;
};

// What recording a delivery did. Exactly one of the effects applies.
struct RecordOutcome {
  bool duplicate = false;    // the delivery id or body was seen before; nothing was done
  std::string duplicate_of;  // the earlier delivery's id
  // The PR has a newer delivery recorded (updated_at); nothing was done.
  bool stale = false;
  int64_t newest_updated_at_ms = 0;       // stale: the newer delivery's updated_at
  bool awaiting_check = false;            // in doubt: kept for the reconciler to check with Gitea
  int64_t run_id = 0;                     // the queued run (new, or the one it coalesced into)
  bool coalesced = false;                 // a run for this head was already queued or running
  std::vector<int64_t> superseded;        // queued runs of the PR this one replaced
  std::vector<int64_t> cancel_requested;  // running runs asked to stop
  std::vector<int64_t> cancelled;         // queued runs cancelled (PR closed)
  int64_t command_id = 0;                 // the pending command (0 if it was a duplicate comment)
};

struct Run {
  int64_t id = 0;
  std::string repo;
  int64_t pr = 0;
  std::string head_sha;
  std::string head_ref;
  std::string base_ref;
  std::string clone_url;
  std::string title;
  std::string author;
  std::string trigger;
  std::string delivery_id;
  std::string state;
  std::optional<int64_t> level;
  std::string reason;
  bool cancel_requested = false;
  int64_t superseded_by = 0;
  int64_t attempts = 0;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  std::optional<int64_t> started_at_ms;
  std::optional<int64_t> finished_at_ms;
  std::string stage;           // the stage a running run is in ("" when not running)
  std::string worker;          // the worker that claimed it last (RunQueue::ClaimNext)
  int64_t lease_until_ms = 0;  // while running under a lease: until when it holds; else 0
  std::string server;          // the abra server (runner.server) it was last claimed for; "" before
  // While a reaper on its server tears its stack down before queueing it again: the worker
  // whose lease expired (`worker` is then the reaper). "" otherwise (RunQueue::
  // ReapExpiredLeases).
  std::string reaped_from;
};

// What a run's report reflects: its state, and for a running run the stage it is in. The
// reporter reports a run whenever this differs from what it last reported.
inline std::string ReportKey(const Run& run) {
  if (run.state == kRunRunning && !run.stage.empty()) return "running:" + run.stage;
  return run.state;
}

// Stage statuses (DESIGN.md "Stages of one run"); running while it runs.
inline constexpr const char* kStageRunning = "running";
inline constexpr const char* kStagePass = "pass";
inline constexpr const char* kStageFail = "fail";
inline constexpr const char* kStageSkip = "skip";
inline constexpr const char* kStageUnverified = "unverified";
inline constexpr const char* kStageError = "error";
// Failed, then passed on its one retry (default-branch runs only); counts as a pass.
inline constexpr const char* kStageFlaky = "flaky";
// Whether a stage status counts as passed: pass, or flaky.
inline bool StagePassed(const std::string& status) {
  return status == kStagePass || status == kStageFlaky;
}

// One stage of a run, as the runner records it. Logs are files: log_path is relative to
// the data dir (runs/<id>/<stage>.log).
struct StageRecord {
  int64_t run_id = 0;
  int seq = 0;  // position in the suite, for ordering
  std::string name;
  std::string status;  // kStage*
  std::string reason;
  std::optional<int64_t> exit_code;
  int64_t started_at_ms = 0;
  int64_t duration_ms = 0;
  std::string log_path;
  // 2 when a failed stage ran once more (flaky stages): log_path is the first attempt's log,
  // AttemptLogPath(log_path, 2) the retry's; started_at and duration cover both.
  int attempts = 1;
};

// The log file of attempt `attempt` (1-based) of a stage whose first log is `log_path`:
// runs/7/backup.log, then runs/7/backup.1.log for its retry.
inline std::string AttemptLogPath(const std::string& log_path, int attempt) {
  const std::string ext = ".log";
  if (attempt <= 1 || log_path.size() < ext.size() ||
      log_path.compare(log_path.size() - ext.size(), ext.size(), ext) != 0) {
    return log_path;
  }
  return log_path.substr(0, log_path.size() - ext.size()) + "." + std::to_string(attempt - 1) + ext;
}

struct RunQuery {
  std::string repo;  // empty: any
  std::optional<int64_t> pr;
  std::string state;      // empty: any
  int64_t before_id = 0;  // cursor: only runs with id < before_id (0: from the newest)
  int limit = 50;
};

struct RunPage {
  std::vector<Run> runs;       // newest first
  int64_t next_before_id = 0;  // 0 when this is the last page
};

struct QueueCounts {
  int64_t queued = 0;
  int64_t waiting = 0;
  int64_t running = 0;
  int64_t pending_commands = 0;
};

}  // namespace ccci
