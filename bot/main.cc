// cc-ci: the server and its tools. Each subcommand lives in its own library; this file only
// dispatches.

#include <cstdio>
#include <cstring>
#include <string>

#include "bot/cli/check_command.h"
#include "bot/cli/doctor_command.h"
#include "bot/cli/serve_command.h"
#include "bot/cli/worker_command.h"
#include "bot/version.h"
#include "renderer/cli.h"

namespace {

constexpr const char* kUsage =
    "cc-ci: continuous integration for Co-op Cloud recipes.\n"
    "\n"
    "Usage: cc-ci <command> [options]\n"
    "\n"
    "Commands:\n"
    "  serve        run the server: webhook intake, runner, dashboard, JSON API, badges,\n"
    "               /healthz, /metrics (runner.concurrency = 0: no runner, a front node)\n"
    "  worker       run only the runner on a test host, over the PostgreSQL store shared\n"
    "               with the front node and the other workers\n"
    "  check        run the recipe suite on a recipe dir or git URL, as a PR run would\n"
    "  doctor       check that this host is ready to run cc-ci (abra, docker, swarm,\n"
    "               chromium, data dir, Gitea token and permissions, public_url)\n"
    "  render       render a badge (SVG or PNG) or a run's summary card from the command line\n"
    "  screenshot   capture a page in headless Chromium (1280x800 PNG)\n"
    "  version      print the version\n"
    "  help         this help\n"
    "\n"
    "Run 'cc-ci <command> --help' for a command's options.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fputs(kUsage, stderr);
    return 2;
  }
  std::string cmd = argv[1];
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    fputs(kUsage, stdout);
    return 0;
  }
  if (cmd == "--version" || cmd == "version") {
    printf("cc-ci %s\n", ccci::kVersion);
    return 0;
  }
  if (cmd == "serve") return ccci::RunServeCommand(argc - 1, argv + 1);
  if (cmd == "worker") return ccci::RunWorkerCommand(argc - 1, argv + 1);
  if (cmd == "check") return ccci::RunCheckCommand(argc - 1, argv + 1);
  if (cmd == "doctor") return ccci::RunDoctorCommand(argc - 1, argv + 1);
  if (cmd == "render") return ccci::render::RunRenderCommand(argc - 1, argv + 1);
  if (cmd == "screenshot") return ccci::render::RunScreenshotCommand(argc - 1, argv + 1);
  fprintf(stderr, "cc-ci: unknown command '%s'\n\n%s", cmd.c_str(), kUsage);
  return 2;
}
