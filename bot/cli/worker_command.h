#pragma once
// `cc-ci worker`: the runner alone, on a test host, over the PostgreSQL store it shares with
// the front node (`cc-ci serve` with runner.concurrency = 0) and the other workers. It claims
// queued runs under its worker name, runs the suite against its runner.server, renews its
// leases and reaps those of lost workers, until SIGINT or SIGTERM: then its running suites are
// cancelled, torn down and queued again.

#include "base/status.h"
#include "bot/config/config.h"

namespace ccci {

// What a worker's configuration needs beyond Config::Validate: the postgres driver (a worker
// shares its store with the front node) and a runner (runner.concurrency at least 1).
Status CheckWorkerConfig(const Config& config);

// argv[0] is "worker". Returns the process exit code.
int RunWorkerCommand(int argc, char** argv);

}  // namespace ccci
