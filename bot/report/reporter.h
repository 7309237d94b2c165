#pragma once
// The reporter: turns what happens to runs into messages for the PR (one sticky comment,
// edited in place, and the `cc-ci/recipe` commit status). It works from the store's state, not
// from events: a run whose state was not reported yet is reported, and the messages are queued
// in the same transaction that marks it reported, so a crash loses no report.

#include <mutex>
#include <optional>
#include <string>

#include "base/periodic_worker.h"
#include "bot/forge/outbox.h"
#include "bot/runner/readme_scores.h"
#include "bot/store/artifact_store.h"
#include "bot/store/history_store.h"
#include "bot/store/nightly_store.h"
#include "bot/store/run_queries.h"
#include "bot/store/run_reader.h"
#include "renderer/pages.h"

namespace ccci {

class Reporter {
 public:
  struct Options {
    std::string public_url = "http://127.0.0.1:8080";  // links in comments
    int pass_level = 1;
    std::string context = "cc-ci/recipe";
    bool status_per_stage = false;    // a cc-ci/<stage> status per stage too (stage_statuses.h)
    HistoryStore* history = nullptr;  // flaky counts for PR comments; may be null
    // Where runs keep their files (<data_dir>/runs/<id>/): the README scores rung 8 measured
    // (bot/runner/readme_scores.h) are read from the store's copy (`artifacts`: the runner
    // of any host put it there), else from there. Neither: not shown.
    std::string data_dir;
    ArtifactStore* artifacts = nullptr;
    // A finished default-branch run whose measured scores differ from the README queues the
    // README scores PR (bot/report/readme_pr.h); false: they are only shown.
    bool readme_prs = true;
    // A finished nightly run whose level differs from the previous nightly's queues a
    // "regression" message (bot/report/regression_issue.h). Null: nightly runs are reported
    // like any branch run.
    NightlyStore* nightly = nullptr;
  };
  // All must outlive the Reporter.
  Reporter(RunReader* runs, OutboxStore* outbox_store, Outbox* outbox, Options options);

  // Reports every run whose state is not reported yet; returns how many. Thread-safe.
  int ReportPending();
  // A thread running ReportPending every second, and at once after Kick().
  void Start() { worker_.Start(); }
  void Kick() { worker_.Kick(); }
  void Stop() { worker_.Stop(); }

  // Reports `run` as it is now (a running run may name its `stage`). Branch runs (pr == 0)
  // get only the commit status (and the per-stage ones), and the README scores PR when they
  // differ; superseded runs nothing (the newer run's report replaces theirs). A PR run's failed
  // stage that was flaky on the default branch is said to be in the sticky comment.
  Status RunChanged(const Run& run, const std::string& stage = "");

  // The commit status a run's state maps to (pending/success/failure/error + description).
  CommitStatusRequest StatusFor(const Run& run) const;

 private:
  std::string StickyBody(const Run& run, const std::string& stage) const;
  // The failed stages of a PR run that were flaky on the default branch lately.
  std::vector<render::PrCommentView::FlakyHint> FlakyHints(
      const Run& run, const std::vector<StageRecord>& stages) const;
  // The regression message of a finished nightly run whose level differs from the previous
  // nightly's; nullopt otherwise (or when the store cannot say: the report goes out without).
  std::optional<OutboxMessage> RegressionMessage(const Run& run) const;
  // What rung 8 measured against the README, for a finished run; nullopt when not measured.
  std::optional<runner::ScoresReport> ReadmeScores(const Run& run) const;

  RunReader* runs_;
  OutboxStore* outbox_store_;
  Outbox* outbox_;
  Options options_;
  std::mutex mu_;
  PeriodicWorker worker_{std::chrono::seconds(1), [this] { ReportPending(); }, "reporter"};
};

}  // namespace ccci
