#pragma once
// Flaky stages (DESIGN.md): on a default-branch run (push, nightly) a stage that fails runs
// once more on the same deployment: backup, restore, functional and lint as they are, install
// and upgrade redoing their own step. A pass the second time makes the stage `flaky` (it counts
// as passed, and is shown apart with both attempts' logs); a second failure stands. PR runs
// never retry: there a failure that passes on a retry may be one the PR introduced, so the PR
// sees the failure.
//
// The suite asks Wants() as a stage ends: when it says yes, that ending is not final (the
// observer does not hear of it) and the suite runs the stage again between Start() and
// Finish(); Begin() and End() shape the second attempt's record.

#include <string>

#include "bot/store/records.h"

namespace ccci::runner {

class StageRetry {
 public:
  explicit StageRetry(bool enabled) : enabled_(enabled) {}

  // Whether `ended` (a first attempt, just ended) gets its retry: an enabled run, a stage
  // that may be retried, and the status fail (an error, a skip or an unverified stage is not
  // the recipe failing).
  bool Wants(const StageRecord& ended) const;
  // The stages that retry, in suite order (not screenshot, whose trouble is never a fail, nor
  // teardown, which must not run twice).
  static bool Retryable(const std::string& stage);

  void Start(const StageRecord& failed);
  void Finish() { retrying_ = false; }
  bool retrying() const { return retrying_; }

  // The attempt a stage beginning now is (1, or 2 during a retry), for its log's name.
  int attempt() const { return retrying_ ? 2 : 1; }
  // The retry's record as it begins: two attempts, the first one's start, and why it runs.
  void Begin(StageRecord* st) const;
  // The retry's verdict: a pass is flaky, and names the first attempt's failure.
  void End(StageRecord* st) const;

 private:
  bool enabled_;
  bool retrying_ = false;
  StageRecord first_;
};

}  // namespace ccci::runner
