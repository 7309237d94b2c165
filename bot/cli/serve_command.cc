#include "bot/cli/serve_command.h"

#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/log.h"
#include "base/periodic_worker.h"
#include "bot/app/pipeline.h"
#include "bot/cli/command_process.h"
#include "bot/cli/doctor.h"
#include "bot/config/config.h"
#include "bot/http/server.h"
#include "bot/version.h"

namespace ccci {
namespace {

constexpr const char* kServeUsage =
    "Usage: cc-ci serve [--config FILE] [--listen HOST:PORT] [--data-dir DIR]\n"
    "\n"
    "Runs the cc-ci server on one address (default http://127.0.0.1:8080): Gitea webhook\n"
    "intake (POST /hooks/gitea), the dashboard (/), badges and cards (/badge/..., /runs/...),\n"
    "the JSON API (/api/runs, /api/outbox), /healthz and /metrics. Queued runs are reported\n"
    "on the PR (one sticky comment, a cc-ci/recipe commit status) and !cc-ci commands in PR\n"
    "comments are answered. Queued runs are tested through abra ([runner] keys), stage logs\n"
    "under <data dir>/runs/<id>/. State lives in SQLite under the data dir (default ./data),\n"
    "or in PostgreSQL (storage.driver = postgres). With runner.concurrency = 0 it runs no\n"
    "runner: a front node, whose runs `cc-ci worker` processes on the test hosts take from\n"
    "the PostgreSQL store they share (cc-ci worker --help).\n"
    "\n"
    "Options:\n"
    "  --config FILE        INI configuration; every key is documented with its default\n"
    "                       in cc-ci.example.ini. Without it, the defaults apply.\n"
    "  --listen HOST:PORT   overrides server.listen (port 0 picks a free port)\n"
    "  --data-dir DIR       overrides storage.data_dir\n"
    "  -h, --help           this help\n"
    "\n"
    "Environment (secrets never go on the command line):\n"
    "  CC_CI_GITEA_TOKEN      Gitea API token (overrides gitea.token_file)\n"
    "  CC_CI_WEBHOOK_SECRET   webhook secret(s), comma-separated (overrides\n"
    "                         gitea.webhook_secret_file). With neither, a secret is\n"
    "                         generated into <data dir>/webhook-secret on first start.\n"
    "\n"
    "HTTP: one event loop holds every connection; a request must arrive whole within\n"
    "server.request_timeout (10s), a peer address holds at most\n"
    "server.max_connections_per_peer (64) connections, and webhooks have their own\n"
    "workers (server.hook_workers), so slow or idle peers and page views cannot delay\n"
    "Gitea's deliveries. Behind a reverse proxy set server.max_connections_per_peer = 0.\n"
    "\n"
    "Without a Gitea token, reporting is dry-run: nothing is sent to Gitea.\n"
    "Stops cleanly on SIGINT or SIGTERM. Exit codes: 0 stopped, 1 failed to start (e.g.\n"
    "the address is in use by another server), 2 bad usage or configuration.\n";

int Fail(int code, const std::string& message) {
  fprintf(stderr, "cc-ci serve: %s\n", message.c_str());
  return code;
}

// Raises the soft open-file limit to the hard one (each connection is a descriptor; the
// default soft limit is 1024) and returns how many connections it leaves room for.
int RaiseFileLimit() {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1 << 20;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  // Room for the database, logs, pipes of the runner and the browser.
  constexpr rlim_t kReserved = 256;
  rlim_t room = rl.rlim_cur > kReserved * 2 ? rl.rlim_cur - kReserved : rl.rlim_cur / 2;
  return static_cast<int>(std::min<rlim_t>(room, 1 << 20));
}

struct ServeFlags {
  std::optional<std::string> config_path;
  std::optional<std::string> listen;
  std::optional<std::string> data_dir;
};

// Parses serve's flags; returns an exit code when the command ends here (help, bad usage).
std::optional<int> ParseServeFlags(int argc, char** argv, ServeFlags* flags) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) return std::nullopt;
      return std::string(argv[++i]);
    };
    if (a == "-h" || a == "--help") {
      fputs(kServeUsage, stdout);
      return 0;
    } else if (a == "--config") {
      flags->config_path = value();
      if (!flags->config_path) return Fail(2, "--config needs a file");
    } else if (a == "--listen") {
      flags->listen = value();
      if (!flags->listen) return Fail(2, "--listen needs HOST:PORT");
    } else if (a == "--data-dir") {
      flags->data_dir = value();
      if (!flags->data_dir) return Fail(2, "--data-dir needs a directory");
    } else {
      return Fail(2, "unknown argument '" + a + "' (see cc-ci serve --help)");
    }
  }
  return std::nullopt;
}

// The configuration file with the flags over it, validated; sets the log level.
std::optional<int> LoadServeConfig(const ServeFlags& flags, Config* config) {
  auto loaded = LoadConfig(flags.config_path);
  if (!loaded.ok()) return Fail(2, "bad configuration: " + loaded.status().message());
  *config = std::move(*loaded);
  if (flags.listen) config->listen = *flags.listen;
  if (flags.data_dir) config->data_dir = *flags.data_dir;
  if (Status s = config->Validate(); !s.ok()) return Fail(2, "bad configuration: " + s.message());
  LogLevel level;
  ParseLogLevel(config->log_level, &level);
  SetLogLevel(level);
  return std::nullopt;
}

// Blocks the stop signals before any thread starts, so every thread inherits the mask and
// only RunServeCommand's sigwait sees them; tunes malloc for the request threads.
sigset_t PrepareProcess() {
  // Request threads allocate and free ~100 KB per webhook; glibc's default trims each thread
  // arena back to the kernel that often, and the page faults that follow cost more than the
  // work (measured: 3x throughput with these set). What a burst leaves in the arenas is given
  // back by the HTTP front once it is quiet (malloc_trim), and no answer is held whole in
  // memory (pages and logs are streamed in pieces), so the peak itself stays small.
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  // Reports, the outbox and commands run at a lower priority than the request threads: in a
  // burst of webhooks they took 40% of the CPU (one report, status and comment render per
  // delivery), and the intake's answer is what Gitea's 5 s timeout waits for. They catch up
  // when the burst ends. And they let the kicks of 100 ms gather into one pass: a report or
  // a status sent 100 ms later is no loss, and most intermediate states are never rendered.
  // (Measured with tests/bench/bot/ingest.sh --load.)
  PeriodicWorker::SetBackgroundNice(10);
  PeriodicWorker::SetBackgroundSettle(std::chrono::milliseconds(100));
  return BlockStopSignals();
}

// Bound first: with port 0 the picked port is known to everything built after it (the links
// in PR comments, the badge URLs to copy), and an address in use fails before any work.
Result<std::unique_ptr<Listener>> BindListener(Config* config) {
  auto listener = Listener::Bind(config->listen);
  if (!listener.ok()) return listener.status();
  config->listen = (*listener)->address();
  if (config->public_url.empty() &&
      (config->listen.rfind("0.0.0.0:", 0) == 0 || config->listen.rfind("[::]:", 0) == 0)) {
    LogWarn(
        "server.public_url_unset",
        {{"listen", config->listen},
         {"reason", "links in PR comments would name a wildcard address; set server.public_url"}});
  }
  if (int most = RaiseFileLimit(); config->max_connections > most) {
    LogWarn("server.max_connections_lowered",
            {{"max_connections", std::to_string(config->max_connections)},
             {"to", std::to_string(most)},
             {"reason", "the open-file limit (ulimit -n) leaves room for no more"}});
    config->max_connections = most;
  }
  return listener;
}

// What would break runs later is said now (cc-ci doctor checks the rest).
std::vector<std::string> StartupWarnings(const Config& config) {
  std::vector<std::string> warnings;
  for (const DoctorCheck& check : StartupChecks(config)) {
    if (check.ok) continue;
    LogWarn("server.host_check_failed", {{"check", check.what}, {"fix", check.fix}});
    warnings.push_back(check.what + " \u2014 " + check.fix);
  }
  return warnings;
}

void PrintBanner(const Config& config, const Pipeline& pipeline,
                 const std::vector<std::string>& warnings) {
  std::string host = config.listen.substr(0, config.listen.rfind(':'));
  std::string url = "http://" + host + ":" + std::to_string(pipeline.port());
  LogInfo("server.started", {{"listen", url},
                             {"data_dir", config.data_dir},
                             {"driver", config.driver},
                             {"webhook_secret", config.webhook_secret_source},
                             {"reporting", config.EffectiveDryRun() ? "dry-run" : "gitea"},
                             {"version", kVersion}});
  printf("cc-ci %s listening on %s\n", kVersion, url.c_str());
  printf("  dashboard: %s/\n", url.c_str());
  printf("  webhook:   POST %s/hooks/gitea (secret: %s)\n", url.c_str(),
         config.webhook_secret_source.c_str());
  printf("  api:       %s/api/runs   metrics: %s/metrics   health: %s/healthz\n", url.c_str(),
         url.c_str(), url.c_str());
  printf("  runner:    %s\n", pipeline.DescribeRunner().c_str());
  printf("  reporting: %s\n", config.EffectiveDryRun()
                                  ? "dry-run (no Gitea token; nothing is sent to Gitea)"
                                  : ("to " + config.gitea_url).c_str());
  for (const std::string& w : warnings) printf("  warning:   %s\n", w.c_str());
  if (!warnings.empty()) printf("  (cc-ci doctor checks the whole host)\n");
  fflush(stdout);
}

}  // namespace

// Parses the flags, prepares the process (data dir and its lock, secrets, signals, the bound
// address) and runs the pipeline (bot/app/pipeline.h) until SIGINT or SIGTERM.
int RunServeCommand(int argc, char** argv) {
  ServeFlags flags;
  if (auto done = ParseServeFlags(argc, argv, &flags)) return *done;
  Config config;
  if (auto failed = LoadServeConfig(flags, &config)) return *failed;

  // Held until the process exits.
  auto data_lock = ClaimDataDir(config.data_dir);
  if (!data_lock.ok()) return Fail(1, data_lock.status().message());
  if (Status s = LoadSecrets(&config); !s.ok()) return Fail(2, s.message());

  sigset_t stop_signals = PrepareProcess();
  auto listener = BindListener(&config);
  if (!listener.ok()) return Fail(1, listener.status().message());
  std::vector<std::string> warnings = StartupWarnings(config);
  auto pipeline = Pipeline::Build(config, std::move(*listener));
  if (!pipeline.ok()) return Fail(1, pipeline.status().message());
  if (Status s = (*pipeline)->Start(); !s.ok()) return Fail(1, s.message());
  PrintBanner(config, **pipeline, warnings);

  LogInfo("server.stopping", {{"signal", WaitForStopSignal(stop_signals)}});
  (*pipeline)->Stop();
  LogInfo("server.stopped");
  return 0;
}

}  // namespace ccci
