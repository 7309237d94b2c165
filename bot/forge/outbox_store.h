#pragma once
// The persistent outbox's storage slice: what the Outbox needs from the Store.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace ccci {

struct OutboxMessage {
  int64_t id = 0;
  std::string repo;
  int64_t pr = 0;
  std::string kind;          // sticky | status | reaction | reply | readme | regression
  std::string coalesce_key;  // e.g. "sticky:o/r#17", "status:o/r@<sha>:cc-ci/recipe"
  std::string payload;       // JSON
  std::string state = "pending";
  int64_t attempts = 0;
  int64_t next_attempt_at_ms = 0;
  std::string last_error;
  int64_t created_at_ms = 0;
};

// Which messages GET /api/outbox lists: every one, or those of one repo and/or PR.
struct OutboxFilter {
  std::string repo;
  std::optional<int64_t> pr;
};

class OutboxStore {
 public:
  virtual ~OutboxStore() = default;
  // Adds `m`, or, when a pending message with the same coalesce key exists, replaces its
  // payload (it keeps its place in line): after an outage the PR gets the latest state once.
  // A status message whose payload is that of the newest one with its key (pending,
  // delivered or dry-run) is not queued at all: Gitea already has, or will have, that status.
  virtual Result<int64_t> EnqueueMessage(const OutboxMessage& m) = 0;
  // Enqueues `messages` (each as EnqueueMessage does) and records that run `run_id` was
  // reported at `state` (its ReportKey), in one transaction; if the run has moved on meanwhile it stays
  // unreported, so its newer state is reported next.
  virtual Status EnqueueRunReport(int64_t run_id, const std::string& state,
                                  const std::vector<OutboxMessage>& messages) = 0;
  // Pending messages due by `now_ms`, oldest first, at most one per PR and lane (its oldest
  // pending one). The PR's reports (sticky, status) are one lane, replies and reactions the
  // other: each lane goes out in order, and a backlog of replies never delays the report.
  virtual Result<std::vector<OutboxMessage>> DueMessages(int64_t now_ms, int limit) = 0;
  // state: delivered | failed | dry-run, for the message as it was sent (`sent_payload`).
  // When a newer payload was coalesced into it meanwhile (a status changed while the older
  // one was on the wire), the message stays pending and due at once, so the newer one goes
  // out too instead of being marked sent.
  virtual Status FinishMessage(int64_t id, const std::string& state, const std::string& error,
                               const std::string& sent_payload) = 0;
  virtual Status RetryMessage(int64_t id, int64_t next_attempt_at_ms, const std::string& error) = 0;
  // Newest first, for GET /api/outbox.
  virtual Result<std::vector<OutboxMessage>> RecentMessages(int limit,
                                                            const OutboxFilter& filter = {}) = 0;
  virtual Result<std::optional<int64_t>> StickyComment(const std::string& repo, int64_t pr) = 0;
  virtual Status SetStickyComment(const std::string& repo, int64_t pr, int64_t comment_id) = 0;
};

}  // namespace ccci
