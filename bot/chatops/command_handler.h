#pragma once
// Answers pending `!cc-ci` commands: checks who may command (write permission from the
// payload, else Gitea's permission API, or gitea.trusted_users), acts (retest, cancel,
// ok-to-test), acknowledges with an `eyes` reaction, and posts at most one reply per comment
// (command_reply.h: refusals, unknown commands and help together). A user's flood of comments
// is rate-limited to one "too many" reply, and replies on one PR have a budget per window
// whoever asks, so many accounts cannot bury the PR under replies either.
// ok-to-test records an approval (CommandStore::Approve) that releases the PR's runs the
// trust gate holds and admits its later pushes; a trusted retest of a held run runs it.

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/periodic_worker.h"
#include "bot/chatops/command_parser.h"
#include "bot/chatops/command_reply.h"
#include "bot/chatops/command_store.h"
#include "bot/forge/forge_client.h"
#include "bot/forge/outbox.h"
#include "bot/store/run_reader.h"

namespace ccci {

class CommandHandler {
 public:
  // Told of every run a command changed (retest, cancel, ok-to-test), so its PR shows the new
  // state at once; the pipeline points it at Reporter::RunChanged. A function rather than the
  // Reporter: chat-ops and report are neighbours on one layer, and neither links the other.
  using RunChangedFn = std::function<Status(const Run&)>;

  struct Options {
    std::vector<std::string> trusted_users;
    int rate_limit_count = 5;  // commands per user per window
    std::chrono::seconds rate_limit_window{600};
    int replies_per_pr = 10;  // replies on one PR per window, from all users together
    Clock* clock = RealClock();
  };
  // `forge` may be null (dry-run): then only the payload's permission and the allowlist count.
  CommandHandler(CommandStore* commands, RunReader* runs, ForgeClient* forge, Outbox* outbox,
                 RunChangedFn run_changed, Options options);
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
  // Handles one comment's commands; returns its final state (done, refused, ...).
  std::string Handle(const PendingCommand& c, const std::vector<ChatCommand>& cmds,
                     CommandReply* reply);
  // Acts on a trusted retest, cancel or ok-to-test; false when it could not be recorded.
  bool Act(const PendingCommand& c, CommandKind kind, CommandReply* reply);
  // Queues `reply` unless the PR's reply budget for the window is spent.
  void SendReply(const PendingCommand& c, const CommandReply& reply);
  // Records the comment's final state; a store failure is logged (the comment stays pending).
  void Finish(const PendingCommand& c, const std::string& state, const std::string& note);

  CommandStore* commands_;
  RunReader* runs_;
  ForgeClient* forge_;
  Outbox* outbox_;
  RunChangedFn run_changed_;
  Options options_;
  std::mutex process_mu_;
  std::map<std::string, std::vector<int64_t>> recent_;      // user -> command times (ms)
  std::set<std::string> told_;                              // users told they are limited
  std::map<std::string, std::vector<int64_t>> pr_replies_;  // repo#pr -> reply times (ms)
  PeriodicWorker worker_{std::chrono::seconds(1), [this] { ProcessPending(); }, "chatops"};
};

}  // namespace ccci
