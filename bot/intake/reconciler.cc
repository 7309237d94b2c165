#include "bot/intake/reconciler.h"

#include <map>
#include <set>

#include "base/log.h"
#include "bot/intake/intake.h"
#include "bot/intake/watched_repos.h"

namespace ccci {
namespace {

// What the reconciler records in place of a lost delivery: a synthetic id (the same missed
// thing always gets the same id, so a second pass is a duplicate) and event "reconcile".
Delivery Synthetic(std::string id, const std::string& repo, int64_t pr, int64_t now) {
  Delivery d;
  d.id = std::move(id);
  d.event = "reconcile";
  d.repo = repo;
  d.pr = pr;
  d.received_at_ms = now;
  return d;
}

}  // namespace

Reconciler::Reconciler(DeliveryStore* deliveries, RunReader* runs, ForgeClient* forge,
                       Options options, PrCheckStore* checks)
    : deliveries_(deliveries),
      runs_(runs),
      forge_(forge),
      options_(std::move(options)),
      checks_(checks),
      worker_(std::chrono::duration_cast<std::chrono::milliseconds>(options_.interval),
              [this] { ReconcileOnce(); }, "reconciler") {}

std::vector<std::string> Reconciler::Repos() { return WatchedRepos(options_.repos, runs_); }

Reconciler::Pass Reconciler::ReconcileOnce() {
  std::lock_guard<std::mutex> lock(mu_);
  Pass pass;
  int64_t now = options_.clock->NowUnixMillis();
  int64_t since_ms = last_pass_ms_ ? last_pass_ms_ - 60000  // overlap: clocks differ
                                   : now - options_.first_lookback.count() * 1000;
  std::string since = FormatRfc3339Millis(since_ms);
  since = since.substr(0, 19) + "Z";  // Gitea wants RFC 3339 without fractions
  for (const std::string& repo : Repos()) {
    auto pulls = forge_->ListOpenPullRequests(repo);
    if (!pulls.ok()) {
      ++pass.errors;
      LogWarn("reconcile.failed", {{"repo", repo}, {"reason", pulls.status().message()}});
      continue;
    }
    for (const ForgePull& p : *pulls) {
      Delivery d =
          Synthetic("reconcile:" + repo + "#" + std::to_string(p.number) + "@" + p.head_sha, repo,
                    p.number, now);
      d.head_sha = p.head_sha;
      Work w;
      w.kind = Work::Kind::kQueueRun;
      w.run = RunRequest{repo, p.number, p.head_sha, p.head_ref, p.base_ref,
                         "",   p.title,  p.author,   "reconcile"};
      // A head that already had a run (any state) needs nothing: only a missed one does.
      RunQuery q;
      q.repo = repo;
      q.pr = p.number;
      q.limit = 50;
      auto runs = runs_->ListRuns(q);
      bool seen = false;
      if (runs.ok()) {
        for (const Run& r : runs->runs) seen |= r.head_sha == p.head_sha;
      }
      if (seen) continue;
      auto out = deliveries_->RecordDelivery(d, w);
      if (out.ok() && !out->duplicate && !out->coalesced) {
        ++pass.runs_queued;
        LogInfo("reconcile.run_queued", {{"repo", repo}, {"pr", p.number}, {"run", out->run_id}});
      }
    }
    CancelClosed(repo, *pulls, now, &pass);
    auto comments = forge_->ListRepoComments(repo, since);
    if (!comments.ok()) {
      ++pass.errors;
      continue;
    }
    for (const ForgeComment& c : *comments) {
      if (c.issue_number == 0 || c.author == options_.bot_login || !MentionsCommand(c.body))
        continue;
      bool open_pr = false;
      for (const ForgePull& p : *pulls) open_pr |= p.number == c.issue_number;
      if (!open_pr) continue;  // an issue, or a closed PR
      Delivery d = Synthetic("reconcile-comment:" + repo + ":" + std::to_string(c.id), repo,
                             c.issue_number, now);
      Work w;
      w.kind = Work::Kind::kCommand;
      w.command = CommandRequest{repo, c.issue_number, c.id, c.author, c.body, std::nullopt};
      auto out = deliveries_->RecordDelivery(d, w);
      if (out.ok() && !out->duplicate && out->command_id) {
        ++pass.commands_added;
        LogInfo("reconcile.command_added",
                {{"repo", repo}, {"pr", c.issue_number}, {"comment", c.id}});
      }
    }
  }
  last_pass_ms_ = now;
  return pass;
}

int Reconciler::CheckDoubts() {
  if (!checks_) return 0;
  std::lock_guard<std::mutex> lock(checks_mu_);
  auto pending = checks_->PendingPrChecks(50);
  if (!pending.ok()) return 0;
  int settled = 0;
  for (const PrCheck& c : *pending) {
    auto pull = forge_->GetPullRequest(c.repo, c.pr);
    if (!pull.ok()) {
      LogWarn("check.failed",
              {{"repo", c.repo}, {"pr", c.pr}, {"reason", pull.status().message()}});
      continue;  // asked again next time
    }
    bool run = c.work.kind == Work::Kind::kQueueRun;
    bool agrees = run ? pull->state == "open" && pull->head_sha == c.work.run.head_sha
                      : pull->state == "closed";
    if (agrees) {
      Delivery d =
          Synthetic("checked:" + c.delivery_id, c.repo, c.pr, options_.clock->NowUnixMillis());
      d.head_sha = c.work.run.head_sha;
      if (!run) d.action = "closed";  // ends the PR's approval (migrations/006)
      Work w = c.work;
      w.freshness->verified = true;
      if (!run) w.cancel_reason = pull->merged ? "pull request merged" : "pull request closed";
      auto out = deliveries_->RecordDelivery(d, w);
      if (!out.ok()) continue;  // asked again next time
    }
    LogInfo(agrees ? "check.confirmed" : "check.refuted", {{"repo", c.repo},
                                                           {"pr", c.pr},
                                                           {"delivery", c.delivery_id},
                                                           {"gitea_state", pull->state},
                                                           {"gitea_head", pull->head_sha}});
    if (checks_->FinishPrCheck(c).ok()) ++settled;
  }
  return settled;
}

void Reconciler::CancelClosed(const std::string& repo, const std::vector<ForgePull>& open,
                              int64_t now, Pass* pass) {
  std::set<int64_t> open_numbers;
  for (const ForgePull& p : open) open_numbers.insert(p.number);
  std::map<int64_t, int64_t> newest_active;  // PR -> its newest active run
  for (const char* state : {kRunQueued, kRunWaiting, kRunRunning}) {
    RunQuery q;
    q.repo = repo;
    q.state = state;
    q.limit = 500;
    auto runs = runs_->ListRuns(q);
    if (!runs.ok()) continue;
    for (const Run& r : runs->runs) {
      if (r.pr <= 0 || open_numbers.count(r.pr)) continue;
      int64_t& newest = newest_active[r.pr];
      newest = std::max(newest, r.id);
    }
  }
  for (const auto& [pr, run_id] : newest_active) {
    // Not in the open list: maybe closed, maybe opened after the list was taken. Ask.
    auto pull = forge_->GetPullRequest(repo, pr);
    if (!pull.ok()) {
      ++pass->errors;
      LogWarn("reconcile.failed",
              {{"repo", repo}, {"pr", pr}, {"reason", pull.status().message()}});
      continue;
    }
    if (pull->state != "closed") continue;
    Delivery d = Synthetic(
        "reconcile-closed:" + repo + "#" + std::to_string(pr) + "@" + std::to_string(run_id), repo,
        pr, now);
    d.action = "closed";  // ends the PR's approval (migrations/006_reconciled_close.sql)
    Work w;
    w.kind = Work::Kind::kCancel;
    w.cancel_repo = repo;
    w.cancel_pr = pr;
    w.cancel_reason = pull->merged ? "pull request merged" : "pull request closed";
    auto out = deliveries_->RecordDelivery(d, w);
    if (out.ok() && !out->duplicate) {
      ++pass->closes_seen;
      LogInfo("reconcile.closed", {{"repo", repo}, {"pr", pr}, {"reason", w.cancel_reason}});
    }
  }
}

}  // namespace ccci
