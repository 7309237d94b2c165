#pragma once
// The pipeline of `cc-ci serve`: every long-lived component, built from the configuration,
// started and stopped in order, and the one place that says who wakes whom.
//
//   Gitea ──webhook──► HTTP front ──► Intake ──commit──► Store ◄── Reconciler (lists the
//                                                          │       forge every interval)
//                       ┌─────────────┬──────────────┬─────┘ read by
//                       ▼             ▼              ▼
//                CommandHandler   Scheduler ──►  Reporter ──queues──► Outbox ──► Gitea
//                (!cc-ci)         (runs suites)  (sticky comment,      (in order per PR,
//                    └── a run changed ──────────►  statuses)           retried)
//
// With runner.concurrency = 0 there is no Scheduler (a front node; `cc-ci worker` processes
// on the test hosts run the suites: BuildWorker, which has only the Scheduler).
//
// Every component polls the store (the Reporter, CommandHandler, Outbox and Scheduler once a
// second, the Reconciler every gitea.reconcile_interval, and each soon after a kick: serve
// lets kicks gather for 100 ms, PeriodicWorker::SetBackgroundSettle), so a
// lost kick delays work and never loses it; a kick only makes the next step prompt. The kicks
// (Wakes() in pipeline.cc is the only place they are wired):
//   - a delivery committed by Intake kicks the Reporter and the Scheduler, the
//     CommandHandler when it carried a `!cc-ci` command, and the Reconciler's check when the
//     delivery could not be told from a replay;
//   - the Scheduler kicks the Reporter after every change of a run (a stage, the end) and
//     feeds the stage and run metrics;
//   - the CommandHandler reports a run its command changed at once (Reporter::RunChanged);
//   - the Reporter kicks the Outbox after queueing messages (inside Reporter: it holds it).

#include <memory>
#include <string>

#include "base/status.h"
#include "bot/config/config.h"

namespace ccci {

class Listener;
struct PipelineParts;  // the components, defined in pipeline.cc

class Pipeline {
 public:
  // Builds every component over `config` (valid, secrets loaded) and the address already
  // bound (`listener`: with port 0 the picked port is in config.listen, so links name it).
  // Fails when the store cannot be opened or the runs a previous process left running cannot
  // be recovered; nothing is started then.
  static Result<std::unique_ptr<Pipeline>> Build(Config config, std::unique_ptr<Listener> listener);
  // `cc-ci worker`: the runner alone (scheduler, heartbeat, reaper, work signal) over the
  // shared store; no HTTP server, no reporting (the front node reports what workers record).
  static Result<std::unique_ptr<Pipeline>> BuildWorker(Config config);
  ~Pipeline();

  // Starts the HTTP server, then the pollers. Fails when the server cannot start.
  Status Start();
  // Stops in the reverse order of the data flow's sources: no new deliveries, no new runs
  // (running suites are cancelled, torn down and queued again), then the reporting, and
  // closes the store last. Idempotent.
  void Stop();

  uint16_t port() const;
  // One line for the start-up banner: what the runner will do.
  std::string DescribeRunner() const;

 private:
  explicit Pipeline(std::unique_ptr<PipelineParts> parts);

  std::unique_ptr<PipelineParts> parts_;
  bool stopped_ = false;
};

}  // namespace ccci
