#pragma once
// Nightly runs (`[schedule] nightly = HH:MM`, issue 15): once a day at that time (UTC) a
// branch run of the default branch of every watched recipe (watched_repos.h) is queued, with
// trigger "nightly"; the queue spreads them over the workers. A night is a pass, named by
// its UTC date. Exactly once per night, whatever restarts and however many front nodes share
// the store: a node runs the pass only if it claims it (NightlyStore::ClaimNightlyPass,
// insert-if-absent), and each recipe gets one run per pass (QueueNightlyRun). A node that
// starts after HH:MM runs the day's pass if nobody has; earlier nights are not made up.
// A recipe whose head Gitea could not tell is tried again on a later tick the same day; one
// whose repo is gone, archived or empty is left out.
//
// Tick() does all of it against the Clock, so tests drive it with a fake clock; Start()
// calls it every `poll`.

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/periodic_worker.h"
#include "bot/forge/issue_writer.h"
#include "bot/store/nightly_store.h"
#include "bot/store/run_reader.h"

namespace ccci {

// The pass's timings, Nightly::Options' defaults. No config keys: none changes what a pass
// does or when it is due (schedule.nightly does), only how soon a node notices.
//
// How often a node looks whether the pass is due: it starts at most this long after HH:MM.
// One indexed read of the store per look, on every front node.
inline constexpr std::chrono::milliseconds kNightlyPoll{30000};
// After a pass with errors (Gitea down, the store unreachable), how long until the recipes
// that failed are asked for again: soon enough to catch a Gitea that is back within minutes,
// seldom enough not to send it a lookup per recipe (hundreds) every tick while it is down.
inline constexpr int64_t kNightlyRetryMs = 5 * 60 * 1000;
// A pass whose node has not renewed its claim this long is taken over by another node: it
// died mid-pass. The node running it renews every third of this (lookups of hundreds of
// recipes take minutes when Gitea is slow), so only a node gone for two renewals loses it;
// what it queued stays (one run per recipe per pass).
inline constexpr int64_t kNightlyStaleMs = 10 * 60 * 1000;

class Nightly {
 public:
  struct Options {
    int minute = -1;                 // schedule.nightly as minutes after 00:00 UTC; -1: off
    std::vector<std::string> repos;  // gitea.repos
    std::string bot_login = "cc-ci";
    std::string node;  // who claims passes; default <hostname>:<pid>:<random>
    int64_t stale_ms = kNightlyStaleMs;
    int64_t retry_ms = kNightlyRetryMs;
    std::chrono::milliseconds poll = kNightlyPoll;
    Clock* clock = RealClock();
    std::function<void()> on_queued;  // runs were queued (wakes the scheduler)
  };
  // All must outlive it.
  Nightly(NightlyStore* store, RunReader* runs, IssueWriter* forge, Options options);

  struct Pass {
    std::string pass_id;  // "" when no pass was due
    bool ran = false;     // this node worked on the pass in this tick
    int queued = 0;
    int already = 0;  // recipes the pass had a run for before
    int errors = 0;
  };
  // Runs the day's pass if it is due, not finished and not held by another node. Thread-safe.
  Pass Tick();

  // Ticks every `poll`, and once at once: a start past HH:MM runs today's pass if it is due.
  void Start() {
    worker_.Start();
    worker_.Kick();
  }
  void Stop() { worker_.Stop(); }

  // The pass id (UTC date, 2026-12-02) of `unix_ms`, and whether HH:MM has come that day.
  static std::string PassId(int64_t unix_ms);

 private:
  Nightly::Pass RunPass(const std::string& pass_id);
  // The watched recipes (watched_repos.h) and those of the newest two passes.
  std::vector<std::string> Recipes();

  NightlyStore* store_;
  RunReader* runs_;
  IssueWriter* forge_;
  Options options_;
  std::mutex mu_;
  std::string finished_;     // the newest pass this node saw finished
  int64_t next_try_ms_ = 0;  // no claim before this (after errors, or another node's pass)
  PeriodicWorker worker_;
};

}  // namespace ccci
