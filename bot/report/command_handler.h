#pragma once
// Answers pending `!cc-ci` commands: checks who may command (write permission from the
// payload, else Gitea's permission API, or gitea.trusted_users), acts (retest, cancel,
// ok-to-test), acknowledges with an `eyes` reaction, refuses with one short reply, answers
// help and unknown commands with the help text, and rate-limits a flood to one reply.
// ok-to-test records an approval (CommandStore::Approve) that releases the PR's runs the
// trust gate holds and admits its later pushes; a trusted retest of a held run runs it.

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/periodic_worker.h"
#include "bot/chatops/command_store.h"
#include "bot/forge/forge_client.h"
#include "bot/forge/outbox.h"
#include "bot/report/reporter.h"
#include "bot/store/store.h"

namespace ccci {

class CommandHandler {
 public:
  struct Options {
    std::vector<std::string> trusted_users;
    int rate_limit_count = 5;  // commands per user per window
    std::chrono::seconds rate_limit_window{600};
    Clock* clock = RealClock();
  };
  // `forge` may be null (dry-run): then only the payload's permission and the allowlist count.
  CommandHandler(CommandStore* commands, Store* runs, ForgeClient* forge, Outbox* outbox,
                 Reporter* reporter, Options options);
  ~CommandHandler();

  // Handles every pending command once; returns how many. Thread-safe.
  int ProcessPending();

  void Start();  // a thread running ProcessPending every second, and at once after Kick()
  void Kick();
  void Stop();

 private:
  bool Trusted(const PendingCommand& c);
  // False when the user is over the limit; `notify` is set once per window.
  bool Allow(const std::string& user, bool* notify);

  CommandStore* commands_;
  Store* runs_;
  ForgeClient* forge_;
  Outbox* outbox_;
  Reporter* reporter_;
  Options options_;
  std::mutex process_mu_;
  std::map<std::string, std::vector<int64_t>> recent_;  // user -> command times (ms)
  std::set<std::string> told_;                          // users told they are limited
  PeriodicWorker worker_{std::chrono::seconds(1), [this] { ProcessPending(); }};
};

}  // namespace ccci
