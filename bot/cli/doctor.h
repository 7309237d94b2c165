#pragma once
// `cc-ci doctor`: is this host ready to run cc-ci? Each check is one line, passed or failed,
// and a failed one says how to fix it. The checks ask the real things: the abra on PATH
// (its version and every command and flag the runner uses, bot/runner/abra_contract.h),
// docker and its swarm, the abra server, Chromium, the data dir and its disk, Gitea through
// the bot's token (who it is, what it may do on each watched repo), the webhook secret and
// server.public_url, and the shared PostgreSQL store. What a host needs depends on its role
// (DoctorRole). `cc-ci serve` runs the cheap ones at start and warns about failures.

#include <string>
#include <vector>

#include "bot/config/config.h"
#include "bot/runner/executor.h"

namespace ccci {

struct DoctorCheck {
  bool ok = false;
  std::string what;  // "abra found: /usr/local/bin/abra", "abra not found on PATH"
  std::string fix;   // for a failed check: "install abra or set runner.abra"
  // "✓ <what>" or "✗ <what> — <fix>".
  std::string Line() const;
};

// What a host runs, so what it needs.
enum class DoctorRole {
  kSingleHost,  // `cc-ci serve` with a runner: everything, on this host
  kFrontNode,   // `cc-ci serve`, driver postgres, runner.concurrency = 0: webhooks, reporting,
                // the dashboard; no abra, docker or Chromium (the workers have those)
  kWorker,      // `cc-ci worker`: the runner on the shared store; no webhooks, no reporting
};
// A `cc-ci serve` configuration's role: kFrontNode or kSingleHost.
DoctorRole ServeRole(const Config& config);
// "a single host", "a front node", "a worker".
const char* RoleName(DoctorRole role);

// No network and no child process: abra and docker on PATH and Chromium (unless a front
// node), the data dir's free space. What `cc-ci serve` checks at start.
std::vector<DoctorCheck> StartupChecks(const Config& config);

// Unless a front node: abra (found, version, contract), docker (reachable, swarm active),
// runner.server through abra, Chromium. Always the data dir (writable, not locked by another
// cc-ci, free space). `executor` runs abra and docker (abra wants a terminal: a PtyExecutor).
// `public_url_answers`: whether server.public_url reaches a cc-ci (from GiteaChecks'
// probe); a server holding the data dir's lock is then taken for that one. A worker's data
// dir locked is taken for that worker running.
std::vector<DoctorCheck> HostChecks(const Config& config, DoctorRole role,
                                    runner::Executor* executor, bool public_url_answers);

// driver postgres: the connection string (storage.url_file or CC_CI_DATABASE_URL), the
// server answering it, the schema's version against this build's, and the `runs` trigger
// that wakes workers. Nothing for SQLite (HostChecks' data dir covers it).
std::vector<DoctorCheck> StoreChecks(Config config);

// What a worker takes from the front node's [gitea]: gitea.url (PR heads are cloned from it)
// and the token (its trust gate asks Gitea who may run a PR), whose it is.
std::vector<DoctorCheck> WorkerGiteaChecks(Config config);

// gitea.url and the token (whose it is, write, admin and write:issue on every repo in
// gitea.repos), the webhook secret, server.public_url. Reads the token file (`config` is
// a copy) but generates nothing. Sets `public_url_answers`.
std::vector<DoctorCheck> GiteaChecks(Config config, bool* public_url_answers);

}  // namespace ccci
