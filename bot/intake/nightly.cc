#include "bot/intake/nightly.h"

#include <openssl/rand.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <set>

#include "base/log.h"
#include "bot/intake/watched_repos.h"

namespace ccci {
namespace {

constexpr int64_t kDayMs = 86400 * 1000LL;

std::string DefaultNode() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  unsigned char r[4] = {};
  // A random tail tells apart two processes with one pid (containers); without it the
  // hostname and pid still do on one host.
  if (RAND_bytes(r, sizeof(r)) != 1) r[0] = r[1] = r[2] = r[3] = 0;
  char tail[16];
  snprintf(tail, sizeof(tail), "%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
  return std::string(host) + ":" + std::to_string(getpid()) + ":" + tail;
}

}  // namespace

std::string Nightly::PassId(int64_t unix_ms) {
  time_t secs = static_cast<time_t>(unix_ms / 1000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[16];
  strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
  return buf;
}

Nightly::Nightly(NightlyStore* store, RunReader* runs, IssueWriter* forge, Options options)
    : store_(store),
      runs_(runs),
      forge_(forge),
      options_(std::move(options)),
      worker_(options_.poll, [this] { Tick(); }, "nightly") {
  if (options_.node.empty()) options_.node = DefaultNode();
}

Nightly::Pass Nightly::Tick() {
  std::lock_guard<std::mutex> lock(mu_);
  Pass pass;
  if (options_.minute < 0) return pass;
  int64_t now = options_.clock->NowUnixMillis();
  int64_t since_midnight = now % kDayMs;
  if (since_midnight < options_.minute * 60 * 1000LL) return pass;  // not yet today
  pass.pass_id = PassId(now);
  if (finished_ == pass.pass_id || now < next_try_ms_) return pass;
  auto claimed = store_->ClaimNightlyPass(pass.pass_id, options_.node, options_.stale_ms);
  if (!claimed.ok()) {
    LogWarn("nightly.claim_failed",
            {{"pass", pass.pass_id}, {"reason", claimed.status().message()}});
    return pass;
  }
  if (!*claimed) {
    // Finished, or another node is on it: ask again once its claim could have gone stale.
    next_try_ms_ = now + options_.stale_ms;
    return pass;
  }
  Pass ran = RunPass(pass.pass_id);
  if (ran.errors > 0) {
    next_try_ms_ = options_.clock->NowUnixMillis() + options_.retry_ms;
  } else if (Status s = store_->FinishNightlyPass(ran.pass_id, ran.queued); s.ok()) {
    finished_ = ran.pass_id;
  } else {
    LogWarn("nightly.finish_failed", {{"pass", ran.pass_id}, {"reason", s.message()}});
  }
  LogInfo("nightly.pass", {{"pass", ran.pass_id},
                           {"queued", ran.queued},
                           {"already", ran.already},
                           {"errors", ran.errors},
                           {"node", options_.node}});
  return ran;
}

std::vector<std::string> Nightly::Recipes() {
  std::vector<std::string> repos = WatchedRepos(options_.repos, runs_);
  // The newest 500 runs may be a night's worth with hundreds of recipes: the recipes of the
  // last two passes stay in, so a recipe seen in a delivery once is tested every night.
  if (auto board = store_->NightlyBoard(1000); board.ok()) {
    std::set<std::string> all(repos.begin(), repos.end());
    for (const NightlyRow& row : board->rows) all.insert(row.repo);
    repos.assign(all.begin(), all.end());
  }
  return repos;
}

Nightly::Pass Nightly::RunPass(const std::string& pass_id) {
  Pass pass;
  pass.pass_id = pass_id;
  pass.ran = true;
  int64_t renewed = options_.clock->NowUnixMillis();  // Tick just claimed it
  for (const std::string& repo : Recipes()) {
    // Hundreds of recipes take a while to ask Gitea about: keep the claim fresh.
    if (int64_t now = options_.clock->NowUnixMillis(); now - renewed >= options_.stale_ms / 3) {
      renewed = now;
      auto still = store_->ClaimNightlyPass(pass_id, options_.node, options_.stale_ms);
      if (still.ok() && !*still) break;  // another node took it over: it finishes the pass
    }
    auto had = store_->HasNightlyRun(pass_id, repo);
    if (had.ok() && *had) {
      ++pass.already;
      continue;
    }
    auto head = forge_->GetDefaultBranchHead(repo);
    if (!head.ok()) {
      // A repo gone, archived or empty has nothing to test tonight; anything else (Gitea down)
      // is tried again.
      Code code = head.status().code();
      if (code != Code::kFailedPrecondition && code != Code::kNotFound) ++pass.errors;
      LogWarn("nightly.head_failed",
              {{"pass", pass_id}, {"repo", repo}, {"reason", head.status().message()}});
      continue;
    }
    RunRequest req{repo,
                   0,
                   head->sha,
                   head->branch,
                   head->branch,
                   head->clone_url,
                   "nightly " + pass_id,
                   options_.bot_login,
                   kNightlyTrigger};
    auto out = store_->QueueNightlyRun(pass_id, req);
    if (!out.ok()) {
      ++pass.errors;
      LogWarn("nightly.queue_failed",
              {{"pass", pass_id}, {"repo", repo}, {"reason", out.status().message()}});
      continue;
    }
    if (out->queued) {
      ++pass.queued;
      LogInfo("run.queued", {{"trigger", kNightlyTrigger},
                             {"pass", pass_id},
                             {"repo", repo},
                             {"run", out->run_id},
                             {"sha", head->sha.substr(0, 7)}});
    } else {
      ++pass.already;
    }
  }
  if (pass.queued > 0 && options_.on_queued) options_.on_queued();
  return pass;
}

}  // namespace ccci
