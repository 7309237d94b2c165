#include "bot/cli/doctor_command.h"

#include <cstdio>
#include <optional>
#include <string>

#include "bot/cli/doctor.h"

namespace ccci {
namespace {

constexpr const char* kUsage =
    "Usage: cc-ci doctor [--config FILE]\n"
    "\n"
    "Checks that this host is ready to run cc-ci serve with this configuration, one line\n"
    "per check (\u2713 passed, \u2717 failed, with what to do about it):\n"
    "  abra: found (runner.abra), its version, every command and flag the runner uses;\n"
    "  docker reachable (context runner.server), swarm active, runner.server reached\n"
    "  through abra; chromium (runner.screenshots); the data dir writable and not in use\n"
    "  by another cc-ci, and its free space; Gitea (gitea.url): whose the token is, and on\n"
    "  each gitea.repos repo write (commit statuses), admin (PR authors' permissions, else\n"
    "  gitea.trusted_users) and the write:issue scope (comments); the webhook secret;\n"
    "  server.public_url answering /healthz.\n"
    "Runs abra and docker as the runner does, and asks Gitea only read-only questions.\n"
    "docs/operating.md walks a host from nothing to the first PR comment.\n"
    "\n"
    "Options:\n"
    "  --config FILE   the configuration cc-ci serve uses (default: built-in defaults)\n"
    "  -h, --help      this help\n"
    "\n"
    "Exit codes: 0 every check passed, 1 some check failed, 2 bad usage or configuration.\n";

}  // namespace

int RunDoctorCommand(int argc, char** argv) {
  std::optional<std::string> config_path;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      fputs(kUsage, stdout);
      return 0;
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
  bool public_url_answers = false;
  std::vector<DoctorCheck> forge = GiteaChecks(*config, &public_url_answers);
  runner::PtyExecutor executor;
  std::vector<DoctorCheck> checks = HostChecks(*config, &executor, public_url_answers);
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
