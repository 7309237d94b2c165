#include "bot/cli/doctor_command.h"

#include <cstdio>
#include <optional>
#include <string>

#include "bot/cli/doctor.h"
#include "bot/cli/worker_command.h"

namespace ccci {
namespace {

constexpr const char* kUsage =
    "Usage: cc-ci doctor [--worker] [--config FILE]\n"
    "\n"
    "Checks that this host is ready to run cc-ci serve (or, with --worker, cc-ci worker)\n"
    "with this configuration, one line per check (\u2713 passed, \u2717 failed, with what to\n"
    "do about it):\n"
    "  abra: found (runner.abra), its version, every command and flag the runner uses;\n"
    "  docker reachable (context runner.server), swarm active, runner.server reached\n"
    "  through abra; chromium (runner.screenshots); the data dir writable and not in use\n"
    "  by another cc-ci, and its free space; Gitea (gitea.url): whose the token is, and on\n"
    "  each gitea.repos repo write (commit statuses), admin (PR authors' permissions, else\n"
    "  gitea.trusted_users) and the write:issue scope (comments); the webhook secret;\n"
    "  server.public_url answering /healthz; with storage.driver = postgres, the store\n"
    "  (the connection string, the server answering, the schema version, the trigger that\n"
    "  wakes workers).\n"
    "A front node (driver postgres, runner.concurrency = 0) runs no suites: no abra, docker\n"
    "or chromium is asked of it. A worker (--worker) takes no webhooks and reports nothing:\n"
    "the store, abra, docker and the swarm, chromium, the data dir, and from [gitea] only\n"
    "what it uses (gitea.url to clone from, the token its trust gate asks Gitea with).\n"
    "Runs abra and docker as the runner does, and asks Gitea only read-only questions.\n"
    "docs/operating.md walks a host from nothing to the first PR comment.\n"
    "\n"
    "Options:\n"
    "  --config FILE   the configuration cc-ci serve uses (default: built-in defaults)\n"
    "  --worker        check for cc-ci worker with this configuration (--config required)\n"
    "  -h, --help      this help\n"
    "\n"
    "Exit codes: 0 every check passed, 1 some check failed, 2 bad usage or configuration.\n";

}  // namespace

int RunDoctorCommand(int argc, char** argv) {
  std::optional<std::string> config_path;
  bool worker = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      fputs(kUsage, stdout);
      return 0;
    } else if (a == "--worker") {
      worker = true;
    } else if (a == "--config") {
      if (i + 1 >= argc) return fprintf(stderr, "cc-ci doctor: --config needs a file\n"), 2;
      config_path = argv[++i];
    } else {
      fprintf(stderr, "cc-ci doctor: unknown argument '%s'\n\n%s", a.c_str(), kUsage);
      return 2;
    }
  }
  auto config = LoadConfig(config_path);
  if (!config.ok()) {
    fprintf(stderr, "cc-ci doctor: bad configuration: %s\n", config.status().message().c_str());
    return 2;
  }
  if (worker && !config_path) {
    fprintf(stderr, "cc-ci doctor: --worker needs --config FILE, the one cc-ci worker uses\n");
    return 2;
  }
  if (Status s = worker ? CheckWorkerConfig(*config) : Status::Ok(); !s.ok()) {
    fprintf(stderr, "cc-ci doctor: bad configuration for a worker: %s\n", s.message().c_str());
    return 2;
  }
  DoctorRole role = worker ? DoctorRole::kWorker : ServeRole(*config);
  printf("checking this host as %s\n", RoleName(role));
  bool public_url_answers = false;
  std::vector<DoctorCheck> forge =
      worker ? WorkerGiteaChecks(*config) : GiteaChecks(*config, &public_url_answers);
  runner::PtyExecutor executor;
  std::vector<DoctorCheck> checks = StoreChecks(*config);
  for (DoctorCheck& c : HostChecks(*config, role, &executor, public_url_answers)) {
    checks.push_back(std::move(c));
  }
  checks.insert(checks.end(), forge.begin(), forge.end());
  int failed = 0;
  for (const DoctorCheck& c : checks) {
    printf("%s\n", c.Line().c_str());
    failed += !c.ok;
  }
  if (failed > 0) {
    printf("%d of %zu checks failed\n", failed, checks.size());
    return 1;
  }
  printf("all %zu checks passed\n", checks.size());
  return 0;
}

}  // namespace ccci
