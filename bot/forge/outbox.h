#pragma once
// The outbox: every message to Gitea (sticky comment, commit status, reaction, reply, the
// README scores PR of a recipe, its nightly regression issue) is written to the store first and
// delivered after, in order per PR (the PR's reports and the replies in two lanes, so replies never
// hold a report back), retried with growing backoff while Gitea is down (nothing is dropped for a
// 5xx or a refused connection), and coalesced while pending (a newer sticky body or status for the
// same key replaces the older one, so after an outage the PR shows the latest state once, not a
// replay). In dry-run nothing is sent: messages are logged and marked "dry-run" (GET /api/outbox).

#include <functional>
#include <mutex>
#include <string>

#include "base/clock.h"
#include "base/periodic_worker.h"
#include "bot/forge/forge_client.h"
#include "bot/forge/outbox_store.h"

namespace ccci {

inline constexpr const char* kStickyMarker = "<!-- cc-ci:sticky -->";

class Outbox {
 public:
  struct Options {
    bool dry_run = true;
    std::string bot_login = "cc-ci";
    Clock* clock = RealClock();
    int64_t first_backoff_ms = 2000;
    int64_t max_backoff_ms = 5 * 60 * 1000;
    // Delivers a "readme" message (the README scores PR, bot/report/readme_pr.h): its repo
    // and JSON payload. Unset: such messages fail.
    std::function<Status(const std::string& repo, const std::string& payload)> deliver_readme;
    // Delivers a "regression" message (a nightly level change, bot/report/regression_issue.h).
    // Unset: such messages fail.
    std::function<Status(const std::string& repo, const std::string& payload)> deliver_regression;
  };
  // `forge` may be null in dry-run. Both must outlive the Outbox.
  Outbox(OutboxStore* store, ForgeClient* forge, Options options);
  ~Outbox();

  // Messages, built but not queued (for OutboxStore::EnqueueRunReport).
  static OutboxMessage StickyMessage(const std::string& repo, int64_t pr, const std::string& body);
  static OutboxMessage StatusMessage(const std::string& repo, int64_t pr, const std::string& sha,
                                     const CommitStatusRequest& status);
  // The README scores PR of `repo`; a newer one replaces a pending one (one PR per recipe).
  static OutboxMessage ReadmeMessage(const std::string& repo, const std::string& payload);
  // A nightly level change of `repo` in run `run_id`: each one goes out, in order (none
  // coalesces: an issue opened by one is updated or closed by the next).
  static OutboxMessage RegressionMessage(const std::string& repo, int64_t run_id,
                                         const std::string& payload);
  // Wakes the delivery thread (after messages were queued elsewhere).
  void Kick() { worker_.Kick(); }

  // Queue messages (persisted before returning).
  Status UpsertSticky(const std::string& repo, int64_t pr, const std::string& body);
  Status SetStatus(const std::string& repo, int64_t pr, const std::string& sha,
                   const CommitStatusRequest& status);
  Status React(const std::string& repo, int64_t pr, int64_t comment_id, const std::string& content);
  Status Reply(const std::string& repo, int64_t pr, const std::string& body);

  // Delivers what is due now; returns how many messages were attempted. Thread-safe.
  int DeliverDue();

  // A background thread calling DeliverDue every second, and at once after a new message.
  void Start();
  void Stop();

 private:
  Status Enqueue(const OutboxMessage& m);
  Status Deliver(const OutboxMessage& m);
  Status DeliverSticky(const OutboxMessage& m, const std::string& body);

  OutboxStore* store_;
  ForgeClient* forge_;
  Options options_;
  std::mutex deliver_mu_;
  PeriodicWorker worker_{std::chrono::seconds(1), [this] { DeliverDue(); }, "outbox"};
};

}  // namespace ccci
