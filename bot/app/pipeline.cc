#include "bot/app/pipeline.h"

#include <functional>
#include <utility>

#include "base/log.h"
#include "bot/app/runner_setup.h"
#include "bot/chatops/command_handler.h"
#include "bot/forge/gitea_client.h"
#include "bot/forge/outbox.h"
#include "bot/gate/trust_gate.h"
#include "bot/http/metrics.h"
#include "bot/http/server.h"
#include "bot/intake/intake.h"
#include "bot/intake/nightly.h"
#include "bot/intake/reconciler.h"
#include "bot/report/readme_pr.h"
#include "bot/report/regression_issue.h"
#include "bot/report/reporter.h"
#include "bot/runner/log_retention.h"
#include "bot/runner/scheduler.h"
#include "bot/store/sql_store.h"
#include "bot/store/work_signal.h"
#include "bot/version.h"

namespace ccci {

// Declared in the order they are built; each may use those above it (and is destroyed first).
struct PipelineParts {
  Config config;
  std::unique_ptr<Listener> listener;  // handed to the server by Start()
  std::unique_ptr<SqlStore> store;
  Metrics metrics;
  std::unique_ptr<GiteaClient> gitea;  // null in dry-run
  std::unique_ptr<Outbox> outbox;
  std::unique_ptr<RunnerSetup> runner_setup;
  std::unique_ptr<Reporter> reporter;
  std::unique_ptr<CommandHandler> commands;
  runner::PtyExecutor executor;
  std::unique_ptr<TrustGate> gate;
  std::unique_ptr<WorkSignal> work_signal;       // wakes the scheduler (postgres: NOTIFY)
  std::unique_ptr<runner::Scheduler> scheduler;  // null with runner.concurrency = 0
  std::unique_ptr<runner::LogRetention> log_retention;
  std::unique_ptr<Reconciler> reconciler;  // null in dry-run: there is no forge to ask
  // Reads default-branch heads for the nightly pass; the token's client, or one without a
  // token in dry-run (public repos). Null when nightly runs are off.
  std::unique_ptr<GiteaClient> nightly_reader;
  std::unique_ptr<Nightly> nightly;  // null when schedule.nightly is not set
  std::unique_ptr<Intake> intake;
  std::unique_ptr<HttpServer> server;
};

namespace {

// Who wakes whom (the list in pipeline.h), and nowhere else. Each function runs on the
// waker's thread, so it only kicks or records; the work happens on the woken one's thread.
// They are called only once the pipeline is built, so every part they name exists.
struct WakeUps {
  std::function<void(const Work&, const RecordOutcome&)> delivery_recorded;  // by Intake
  CommandHandler::RunChangedFn command_changed_run;                          // by CommandHandler
  std::function<void()> run_changed;                                         // by Scheduler
  std::function<void(const StageRecord&)> stage_finished;                    // by Scheduler
  std::function<void(const std::string&)> run_finished;                      // by Scheduler
  std::function<void()> nightly_queued;                                      // by Nightly
};

WakeUps Wakes(PipelineParts* p) {
  WakeUps w;
  w.delivery_recorded = [p](const Work& work, const RecordOutcome& out) {
    if (work.kind == Work::Kind::kCommand) p->commands->Kick();
    // A delivery that cannot be told from a replay is checked with Gitea at once, off the
    // request thread.
    if (out.awaiting_check && p->reconciler) p->reconciler->KickChecks();
    p->reporter->Kick();
    if (p->scheduler) p->scheduler->Kick();
  };
  w.command_changed_run = [p](const Run& run) { return p->reporter->RunChanged(run); };
  // A worker has no reporter: the front node's finds the change in the store.
  w.run_changed = [p] {
    if (p->reporter) p->reporter->Kick();
  };
  w.stage_finished = [p](const StageRecord& s) {
    p->metrics.ObserveStage(s.name, s.status, static_cast<double>(s.duration_ms) / 1000.0);
  };
  w.run_finished = [p](const std::string& outcome) { p->metrics.ObserveRunFinished(outcome); };
  // A front node (runner.concurrency = 0) has no scheduler: the workers hear of the queued
  // runs from the store (NOTIFY cc_ci_work, or their poll).
  w.nightly_queued = [p] {
    if (p->reporter) p->reporter->Kick();
    if (p->scheduler) p->scheduler->Kick();
  };
  return w;
}

// schedule.nightly as HH:MM, "" when off (the board says when the passes run).
std::string NightlySchedule(const Config& c) {
  if (c.nightly_minute < 0) return "";
  auto two = [](int n) { return std::string(n < 10 ? "0" : "") + std::to_string(n); };
  return two(c.nightly_minute / 60) + ":" + two(c.nightly_minute % 60);
}

Status OpenStore(PipelineParts* p) {
  const Config& c = p->config;
  SqlStore::Options so;
  so.driver = c.driver == "postgres" ? "postgres" : "sqlite";
  so.url = c.database_url;
  so.path = c.driver == "memory" ? ":memory:" : c.data_dir + "/cc-ci.db";
  so.synchronous_full = c.synchronous == "full";
  so.delivery_retention_ms = static_cast<int64_t>(c.delivery_retention_s) * 1000;
  so.committer_nice = c.committer_nice;
  auto store = SqlStore::Open(so);
  if (!store.ok()) return store.status();
  p->store = std::move(*store);
  return Status::Ok();
}

// The Gitea client (none in dry-run: no token) and the runner's settings, which the
// reporting and the runner both use.
void BuildForge(PipelineParts* p) {
  const Config& c = p->config;
  if (!c.EffectiveDryRun()) {
    GiteaClient::Options go;
    go.base_url = c.gitea_url;
    go.token = c.gitea_token;
    p->gitea = std::make_unique<GiteaClient>(go);
  }
  p->runner_setup = std::make_unique<RunnerSetup>(c);
}

// The forge side: the outbox, the reporter, chat-ops.
void BuildReporting(PipelineParts* p, const WakeUps& w) {
  const Config& c = p->config;
  SqlStore* store = p->store.get();
  Outbox::Options oo;
  oo.dry_run = c.EffectiveDryRun();
  oo.bot_login = c.bot_login;
  if (p->gitea) oo.deliver_readme = ReadmePrSender(p->gitea.get());
  if (p->gitea)
    oo.deliver_regression = RegressionSender(store, p->gitea.get(), p->gitea.get(), c.bot_login);
  p->outbox = std::make_unique<Outbox>(store, p->gitea.get(), oo);
  Reporter::Options ro;
  ro.public_url = c.EffectivePublicUrl();
  ro.pass_level = c.pass_level;
  ro.status_per_stage = c.status_per_stage;
  ro.history = store;
  ro.data_dir = p->runner_setup->options().data_dir;
  ro.artifacts = store;
  ro.readme_prs = c.readme_prs;
  if (c.regression_issues) ro.nightly = store;
  p->reporter = std::make_unique<Reporter>(store, store, p->outbox.get(), ro);
  CommandHandler::Options cho;
  cho.trusted_users = c.trusted_users;
  p->commands = std::make_unique<CommandHandler>(store, store, p->gitea.get(), p->outbox.get(),
                                                 w.command_changed_run, cho);
}

// The runner: queued runs are tested through abra, `runner.concurrency` at a time; none on a
// front node (0).
Status BuildRunner(PipelineParts* p, const WakeUps& w) {
  const Config& c = p->config;
  SqlStore* store = p->store.get();
  // Old stage logs go, on every node that keeps some.
  runner::LogRetention::Options lro;
  lro.data_dir = p->runner_setup->options().data_dir;
  lro.retention = std::chrono::seconds(c.log_retention_s);
  lro.artifacts = store;  // and their copies in the store, which any node may remove
  p->log_retention = std::make_unique<runner::LogRetention>(store, lro);
  if (c.runner_concurrency == 0) return Status::Ok();
  // Runs of PRs whose author is not trusted wait for a trusted `!cc-ci ok-to-test`. Without
  // a token (dry-run) permissions cannot be asked: only gitea.trusted_users, approvals and
  // trusted retests let a PR run start.
  TrustGate::Options tgo;
  tgo.trusted_users = c.trusted_users;
  p->gate = std::make_unique<TrustGate>(store, p->gitea.get(), tgo);
  runner::SchedulerOptions sched_options = p->runner_setup->options();
  sched_options.on_stage_finished = w.stage_finished;
  sched_options.on_run_finished = w.run_finished;
  if (c.driver == "postgres") {  // other processes queue work; one SQLite process kicks itself
    p->work_signal = OpenWorkSignal(c.driver, c.database_url);
    sched_options.work_signal = p->work_signal.get();
  }
  runner::SuiteDeps deps = p->runner_setup->deps();
  deps.artifacts = store;  // logs and screenshots, for every host's dashboard
  p->scheduler =
      std::make_unique<runner::Scheduler>(store, store, p->gate.get(), &p->executor,
                                          std::move(sched_options), std::move(deps), w.run_changed);
  if (Status s = p->scheduler->Recover(); !s.ok()) {
    return Status(s.code(), "recovering runs: " + s.message());
  }
  return Status::Ok();
}

// The two doors into the store: webhooks (Intake, behind the HTTP server) and the
// reconciler, which records what a lost webhook would have said through the same path.
void BuildIntake(PipelineParts* p, const WakeUps& w) {
  const Config& c = p->config;
  SqlStore* store = p->store.get();
  if (p->gitea) {
    Reconciler::Options rco;
    rco.repos = c.repos;
    rco.bot_login = c.bot_login;
    rco.interval = std::chrono::seconds(c.reconcile_interval_s);
    p->reconciler = std::make_unique<Reconciler>(store, store, p->gitea.get(), rco, store);
  }
  if (c.nightly_minute >= 0) {
    GiteaClient* reader = p->gitea.get();
    if (!reader) {
      GiteaClient::Options go;
      go.base_url = c.gitea_url;
      p->nightly_reader = std::make_unique<GiteaClient>(go);
      reader = p->nightly_reader.get();
    }
    Nightly::Options no;
    no.minute = c.nightly_minute;
    no.repos = c.repos;
    no.bot_login = c.bot_login;
    no.on_queued = w.nightly_queued;
    p->nightly = std::make_unique<Nightly>(store, store, reader, no);
  }
  Intake::Options io;
  io.secrets = c.webhook_secrets;
  io.bot_login = c.bot_login;
  io.on_recorded = w.delivery_recorded;
  io.check_doubts_with_forge = p->reconciler != nullptr;
  p->intake = std::make_unique<Intake>(store, io);

  HttpServerOptions ho;
  ho.listen = c.listen;
  ho.max_connections = c.max_connections;
  ho.max_connections_per_peer = c.max_connections_per_peer;
  ho.max_queued = c.max_queued;
  ho.keepalive_timeout_s = c.keepalive_timeout_s;
  ho.request_timeout_s = c.request_timeout_s;
  ho.write_timeout_s = c.write_timeout_s;
  ho.max_body_bytes = c.max_body_bytes;
  ho.max_request_memory = c.max_request_memory;
  ho.hook_workers = c.hook_workers;
  ho.page_workers = c.page_workers;
  p->server = std::make_unique<HttpServer>(
      ho, HttpServices{p->intake.get(), store, &p->metrics, kVersion, c.EffectivePublicUrl(), store,
                       c.data_dir, store, c.gitea_url, store, store, NightlySchedule(c)});
}

}  // namespace

Result<std::unique_ptr<Pipeline>> Pipeline::Build(Config config,
                                                  std::unique_ptr<Listener> listener) {
  auto p = std::make_unique<PipelineParts>();
  p->config = std::move(config);
  p->listener = std::move(listener);
  if (Status s = OpenStore(p.get()); !s.ok()) return s;
  WakeUps w = Wakes(p.get());
  BuildForge(p.get());
  BuildReporting(p.get(), w);
  if (Status s = BuildRunner(p.get(), w); !s.ok()) return s;
  BuildIntake(p.get(), w);
  return std::unique_ptr<Pipeline>(new Pipeline(std::move(p)));
}

Result<std::unique_ptr<Pipeline>> Pipeline::BuildWorker(Config config) {
  if (config.runner_concurrency < 1) {
    return InvalidArgument("runner.concurrency is 0: a worker with no runner would do nothing");
  }
  auto p = std::make_unique<PipelineParts>();
  p->config = std::move(config);
  if (Status s = OpenStore(p.get()); !s.ok()) return s;
  WakeUps w = Wakes(p.get());
  BuildForge(p.get());
  if (Status s = BuildRunner(p.get(), w); !s.ok()) return s;
  return std::unique_ptr<Pipeline>(new Pipeline(std::move(p)));
}

Pipeline::Pipeline(std::unique_ptr<PipelineParts> parts) : parts_(std::move(parts)) {}

Pipeline::~Pipeline() { Stop(); }

Status Pipeline::Start() {
  PipelineParts* p = parts_.get();
  if (p->server) {
    if (Status s = p->server->Start(std::move(p->listener)); !s.ok()) return s;
  }
  if (p->outbox) p->outbox->Start();
  if (p->reporter) p->reporter->Start();
  if (p->commands) p->commands->Start();
  if (p->reconciler) p->reconciler->Start();
  if (p->nightly) p->nightly->Start();
  if (p->scheduler) p->scheduler->Start();
  if (p->log_retention) p->log_retention->Start();
  return Status::Ok();
}

void Pipeline::Stop() {
  if (stopped_) return;
  stopped_ = true;
  PipelineParts* p = parts_.get();
  if (p->server) p->server->Stop();
  if (p->log_retention) p->log_retention->Stop();
  // Running suites are cancelled, torn down and queued again.
  if (p->scheduler) p->scheduler->Stop();
  if (p->nightly) p->nightly->Stop();
  if (p->reconciler) p->reconciler->Stop();
  if (p->commands) p->commands->Stop();
  if (p->reporter) p->reporter->Stop();
  if (p->outbox) p->outbox->Stop();
  p->store.reset();
}

uint16_t Pipeline::port() const { return parts_->server ? parts_->server->port() : 0; }

std::string Pipeline::DescribeRunner() const { return parts_->runner_setup->Describe(); }

}  // namespace ccci
