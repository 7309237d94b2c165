#include "bot/report/reporter.h"

#include <algorithm>

#include "base/log.h"
#include "base/whole_file.h"
#include "bot/report/readme_pr.h"
#include "bot/report/regression_issue.h"
#include "bot/report/stage_statuses.h"
#include "bot/runner/suite_level.h"
#include "domain/routes.h"
#include "renderer/card.h"
#include "renderer/pages.h"

namespace ccci {

Reporter::Reporter(RunReader* runs, OutboxStore* outbox_store, Outbox* outbox, Options options)
    : runs_(runs), outbox_store_(outbox_store), outbox_(outbox), options_(std::move(options)) {
  while (!options_.public_url.empty() && options_.public_url.back() == '/') {
    options_.public_url.pop_back();
  }
}

CommitStatusRequest Reporter::StatusFor(const Run& run) const {
  CommitStatusRequest s;
  s.context = options_.context;
  s.target_url = options_.public_url + routes::Run(run.id);
  if (run.state == kRunQueued || run.state == kRunWaiting || run.state == kRunRunning) {
    s.state = "pending";
    s.description = run.state == kRunWaiting
                        ? "waiting for a trusted !cc-ci ok-to-test"
                        : "cc-ci run " + std::to_string(run.id) + " " + run.state;
  } else if (run.state == kRunFinished && run.level) {
    s.state = *run.level >= options_.pass_level ? "success" : "failure";
    s.description = "level " + std::to_string(*run.level);
  } else if (run.state == kRunCancelled || run.state == kRunSuperseded) {
    s.state = "error";
    s.description = run.reason.empty() ? run.state : run.reason;
  } else {
    s.state = "error";
    s.description = "ci error" + (run.reason.empty() ? "" : ": " + run.reason);
  }
  if (s.description.size() > 140) s.description.resize(140);
  return s;
}

int Reporter::ReportPending() {
  std::lock_guard<std::mutex> lock(mu_);
  auto runs = runs_->UnreportedRuns(100);
  if (!runs.ok()) return 0;
  for (const Run& run : *runs) {
    Status s = RunChanged(run);
    if (!s.ok()) LogError("report.failed", {{"run", run.id}, {"reason", s.message()}});
  }
  return static_cast<int>(runs->size());
}

Status Reporter::RunChanged(const Run& run, const std::string& stage) {
  std::vector<OutboxMessage> messages;
  if (run.state != kRunSuperseded) {
    messages.push_back(Outbox::StatusMessage(run.repo, run.pr, run.head_sha, StatusFor(run)));
    if (options_.status_per_stage) {
      auto stages = runs_->ListStages(run.id);
      if (!stages.ok()) return stages.status();  // reported again on the next pass
      for (const CommitStatusRequest& s : StageStatuses(run, *stages, options_.public_url)) {
        messages.push_back(Outbox::StatusMessage(run.repo, run.pr, run.head_sha, s));
      }
    }
  }
  if (run.pr > 0 && run.state != kRunSuperseded) {
    messages.push_back(Outbox::StickyMessage(run.repo, run.pr,
                                             StickyBody(run, stage.empty() ? run.stage : stage)));
  }
  if (run.pr == 0) {
    if (auto scores = ReadmeScores(run); scores && !scores->differences.empty()) {
      std::string run_url = options_.public_url + routes::Run(run.id);
      if (options_.readme_prs) {
        ReadmePrRequest pr{run.base_ref, scores->measured, run.head_sha, run_url};
        messages.push_back(Outbox::ReadmeMessage(run.repo, ReadmePrPayload(pr)));
      } else {
        LogInfo("report.readme_scores_differ", {{"repo", run.repo},
                                                {"run", run.id},
                                                {"scores", scores->differences.size()},
                                                {"url", run_url}});
      }
    }
  }
  if (auto regression = RegressionMessage(run)) messages.push_back(std::move(*regression));
  CCCI_RETURN_IF_ERROR(outbox_store_->EnqueueRunReport(run.id, ReportKey(run), messages));
  outbox_->Kick();
  return Status::Ok();
}

std::vector<render::PrCommentView::FlakyHint> Reporter::FlakyHints(
    const Run& run, const std::vector<StageRecord>& stages) const {
  std::vector<render::PrCommentView::FlakyHint> out;
  bool failed = std::any_of(stages.begin(), stages.end(),
                            [](const StageRecord& s) { return s.status == kStageFail; });
  if (!options_.history || !failed) return out;
  auto flaky = options_.history->FlakyStages(run.repo, kHistoryWindow);
  if (!flaky.ok()) return out;
  for (const StageRecord& s : stages) {
    if (s.status != kStageFail) continue;
    for (const StageFlakiness& f : *flaky) {
      if (f.stage == s.name && f.flaky > 0) out.push_back({s.name, f.flaky, f.ran});
    }
  }
  return out;
}

std::optional<OutboxMessage> Reporter::RegressionMessage(const Run& run) const {
  if (!options_.nightly || run.trigger != kNightlyTrigger || run.state != kRunFinished ||
      !run.level) {
    return std::nullopt;
  }
  auto previous = options_.nightly->PreviousNightlyLevel(run.repo, run.id);
  if (!previous.ok()) {
    LogWarn("report.nightly_unavailable",
            {{"run", run.id}, {"reason", previous.status().message()}});
    return std::nullopt;
  }
  if (!*previous || **previous == *run.level) return std::nullopt;
  RegressionReport r;
  r.run_id = run.id;
  r.level = *run.level;
  r.previous_level = **previous;
  // QueueNightlyRun names the run's delivery "nightly:<pass>:<repo>".
  if (run.delivery_id.rfind("nightly:", 0) == 0) {
    r.pass_id = run.delivery_id.substr(8, run.delivery_id.find(':', 8) - 8);
  }
  r.run_url = options_.public_url + routes::Run(run.id);
  if (auto stages = runs_->ListStages(run.id); stages.ok()) {
    for (const StageRecord& s : *stages) {
      if (!StagePassed(s.status) && s.status != kStageSkip) {
        r.stage = s.name;
        break;
      }
    }
  }
  LogInfo("report.nightly_level_changed",
          {{"repo", run.repo}, {"run", run.id}, {"from", r.previous_level}, {"to", r.level}});
  return Outbox::RegressionMessage(run.repo, run.id, RegressionPayload(r));
}

std::optional<runner::ScoresReport> Reporter::ReadmeScores(const Run& run) const {
  if (run.state != kRunFinished) return std::nullopt;
  std::string text;
  if (options_.artifacts) {
    auto blob = options_.artifacts->GetBlob(run.id, runner::kScoresReportFile);
    if (blob.ok()) text = std::move(blob->bytes);
  }
  if (text.empty() && !options_.data_dir.empty()) {
    text = ReadWholeFile(options_.data_dir + "/runs/" + std::to_string(run.id) + "/" +
                         runner::kScoresReportFile);
  }
  if (text.empty()) return std::nullopt;
  auto report = runner::ParseScoresReport(text);
  if (!report.ok()) {
    LogWarn("report.readme_scores_unreadable",
            {{"run", run.id}, {"reason", report.status().message()}});
    return std::nullopt;
  }
  return *report;
}

std::string Reporter::StickyBody(const Run& run, const std::string& stage) const {
  render::PrCommentView v;
  v.recipe = run.repo.substr(run.repo.find('/') + 1);
  v.run_id = run.id;
  v.state = run.state;
  v.sha = run.head_sha;
  v.stage = stage;
  render::RunView rv;
  rv.state = run.state;
  if (run.level) rv.level = static_cast<int>(*run.level);
  v.result = render::ResultText(rv);
  // Asked only when it is shown: the lookup is a query per report, and most reports are of
  // queued, waiting or superseded runs.
  std::optional<int64_t> base;
  if (run.level && run.state == kRunFinished) base = DefaultBranchLevel(runs_, run);
  if (base) {
    std::string where =
        " on " + (run.base_ref.empty() ? std::string("the default branch") : run.base_ref);
    int64_t now = *run.level;
    v.level_change = now > *base   ? "up from " + std::to_string(*base) + where
                     : now < *base ? "down from " + std::to_string(*base) + where
                                   : "same as" + where;
  }
  v.run_url = options_.public_url + routes::Run(run.id);
  v.badge_url = options_.public_url + routes::RunBadge(run.id);
  v.card_url = options_.public_url + routes::RunCard(run.id);
  // The stage table; without it (a store error) the comment still says where the run is.
  auto stages = runs_->ListStages(run.id);
  if (!stages.ok()) {
    LogWarn("report.stages_unavailable", {{"run", run.id}, {"reason", stages.status().message()}});
  } else {
    for (const StageRecord& rec : *stages) {
      domain::StageResult r = ToStageResult(rec);
      render::PrCommentView::Stage s;
      s.name = rec.name;
      s.status = domain::StageStatusName(r.status);
      s.reason = rec.reason;
      // A running stage's time is stale as soon as the comment is posted: none is shown.
      s.duration =
          r.status == domain::StageStatus::kRunning ? "" : render::FormatDuration(r.duration_ms);
      if (!rec.log_path.empty())
        s.log_url = options_.public_url + routes::StageLog(run.id, rec.name);
      if (rec.name == stage) v.stage_log_url = s.log_url;
      if (rec.name == "screenshot" && rec.status == kStagePass)
        v.screenshot_url = options_.public_url + routes::RunScreenshot(run.id);
      v.stages.push_back(std::move(s));
    }
    v.flaky_hints = FlakyHints(run, *stages);
  }
  if (auto scores = ReadmeScores(run); scores && !scores->differences.empty()) {
    v.readme_block = scores->measured_block;
    for (const auto& d : scores->differences)
      v.readme_differences.push_back({d.key, d.readme, d.measured});
  }
  return render::RenderPrComment(v);
}

}  // namespace ccci
