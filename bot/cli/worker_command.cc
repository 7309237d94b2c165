#include "bot/cli/worker_command.h"

#include <cstdio>
#include <optional>
#include <string>

#include "base/log.h"
#include "bot/app/pipeline.h"
#include "bot/cli/command_process.h"
#include "bot/config/config.h"
#include "bot/version.h"

namespace ccci {
namespace {

constexpr const char* kWorkerUsage =
    "Usage: cc-ci worker --config FILE [--data-dir DIR]\n"
    "\n"
    "Runs only the runner, on a test host: it claims queued runs from the PostgreSQL store it\n"
    "shares with the front node (`cc-ci serve` with runner.concurrency = 0, which takes the\n"
    "webhooks, reports on the PRs and serves the dashboard) and with the other workers, and\n"
    "tests them through abra on its runner.server, runner.concurrency at a time. No HTTP\n"
    "server, no reporting: what it records, the front node reports.\n"
    "\n"
    "Each claim is a lease (runner.lease, 60s) under runner.worker_name (default\n"
    "<hostname>/<runner.server>; keep it across restarts), renewed every third of it. A run\n"
    "whose worker stops renewing (killed, paused, cut off) is queued again by any worker, up to\n"
    "runner.max_attempts attempts, then is a CI error; the worker that lost it cancels and tears\n"
    "down its suite and records nothing more. On start it tears down what its previous process\n"
    "left: its runs still running, and apps its work dirs show for runs it no longer holds.\n"
    "\n"
    "Options:\n"
    "  --config FILE    INI configuration (cc-ci.example.ini): storage.driver = postgres with\n"
    "                   storage.url_file (or CC_CI_DATABASE_URL), and the [runner] keys\n"
    "  --data-dir DIR   overrides storage.data_dir (work dirs and stage logs; one worker each)\n"
    "  -h, --help       this help\n"
    "\n"
    "`cc-ci doctor --worker --config FILE` checks this host for it first.\n"
    "Environment: CC_CI_DATABASE_URL (overrides storage.url_file), CC_CI_GITEA_TOKEN (the\n"
    "trust gate asks Gitea who may run a PR, as the front node would).\n"
    "Stops cleanly on SIGINT or SIGTERM. Exit codes: 0 stopped, 1 failed to start, 2 bad usage\n"
    "or configuration.\n";

int Fail(int code, const std::string& message) {
  fprintf(stderr, "cc-ci worker: %s\n", message.c_str());
  return code;
}

}  // namespace

Status CheckWorkerConfig(const Config& config) {
  if (config.driver != "postgres") {
    return InvalidArgument(
        "storage.driver must be postgres: a worker shares its store with the front node (a "
        "single host needs no worker: cc-ci serve runs the suites)");
  }
  if (config.runner_concurrency < 1)
    return InvalidArgument("runner.concurrency must be at least 1");
  return Status::Ok();
}

int RunWorkerCommand(int argc, char** argv) {
  std::optional<std::string> config_path, data_dir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      fputs(kWorkerUsage, stdout);
      return 0;
    } else if (a == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (a == "--data-dir" && i + 1 < argc) {
      data_dir = argv[++i];
    } else {
      return Fail(2, "unknown or incomplete argument '" + a + "' (see cc-ci worker --help)");
    }
  }
  if (!config_path) return Fail(2, "--config FILE is required (see cc-ci worker --help)");
  auto loaded = LoadConfig(config_path);
  if (!loaded.ok()) return Fail(2, "bad configuration: " + loaded.status().message());
  Config config = std::move(*loaded);
  if (data_dir) config.data_dir = *data_dir;
  if (Status s = config.Validate(); !s.ok()) return Fail(2, "bad configuration: " + s.message());
  if (Status s = CheckWorkerConfig(config); !s.ok()) return Fail(2, s.message());
  LogLevel level;
  ParseLogLevel(config.log_level, &level);
  SetLogLevel(level);

  auto data_lock = ClaimDataDir(config.data_dir);  // held until the process exits
  if (!data_lock.ok()) return Fail(1, data_lock.status().message());
  if (Status s = LoadToken(&config); !s.ok()) return Fail(2, s.message());
  if (Status s = LoadDatabaseUrl(&config); !s.ok()) return Fail(2, s.message());

  sigset_t stop_signals = BlockStopSignals();
  auto pipeline = Pipeline::BuildWorker(config);
  if (!pipeline.ok()) return Fail(1, pipeline.status().message());
  if (Status s = (*pipeline)->Start(); !s.ok()) return Fail(1, s.message());
  LogInfo("worker.started", {{"worker", config.EffectiveWorkerName()},
                             {"server", config.runner_server},
                             {"concurrency", config.runner_concurrency},
                             {"data_dir", config.data_dir},
                             {"version", kVersion}});
  printf("cc-ci %s worker %s: runner %s\n", kVersion, config.EffectiveWorkerName().c_str(),
         (*pipeline)->DescribeRunner().c_str());
  fflush(stdout);

  LogInfo("worker.stopping", {{"signal", WaitForStopSignal(stop_signals)}});
  (*pipeline)->Stop();
  LogInfo("worker.stopped");
  return 0;
}

}  // namespace ccci
