#pragma once
// The Store: cc-ci's persistent state behind one interface per user, so SQLite (the embedded
// default, store_driver.h) and PostgreSQL (several hosts) are interchangeable. Components take
// only the slice they use:
//   DeliveryStore  the intake and the reconciler: record a delivery and its work
//   RunReader      dashboard, API, badges, logs, reporter: read runs and stages
//   RunQueue       the runner's scheduler: claim, hold, record stages, finish, requeue
//   OutboxStore    the outbox and reporter (bot/forge/outbox_store.h)
//   CommandStore   chat-ops, approvals for the trust gate (bot/chatops/command_store.h)
//   HistoryStore   level history and flaky rates (history_store.h)
//   PrCheckStore   doubtful PR deliveries for the reconciler (pr_check_store.h)
//   ArtifactStore  stage-log chunks and run blobs (screenshots), for every host to serve
//   NightlyStore   nightly passes, their runs, regression issues (nightly_store.h)
// Store itself is all of them, for the code that wires components (cc-ci serve) and for the
// driver tests.

#include "bot/chatops/command_store.h"
#include "bot/forge/outbox_store.h"
#include "bot/store/artifact_store.h"
#include "bot/store/delivery_store.h"
#include "bot/store/history_store.h"
#include "bot/store/nightly_store.h"
#include "bot/store/pr_check_store.h"
#include "bot/store/records.h"
#include "bot/store/run_queue.h"
#include "bot/store/run_reader.h"

namespace ccci {

class Store : public DeliveryStore,
              public RunReader,
              public RunQueue,
              public OutboxStore,
              public CommandStore,
              public HistoryStore,
              public PrCheckStore,
              public ArtifactStore,
              public NightlyStore {
 public:
  ~Store() override = default;
};

}  // namespace ccci
