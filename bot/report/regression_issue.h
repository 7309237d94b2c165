#pragma once
// Regression issues (`schedule.regression_issues`, issue 15). A regression is a nightly
// level lower than the previous nightly's of the same recipe. The reporter queues a
// "regression" outbox message whenever a nightly run finishes at a level other than the
// previous nightly's (Outbox retries it while Gitea is down, in order with the recipe's
// other reports); delivering it keeps ONE issue per recipe, remembered in the store
// (NightlyStore::GetRegressionIssue):
//   - a drop with no issue open opens one: "cc-ci nightly: level dropped from 5 to 3", with
//     both levels, the failing stage and the run's link; the level before the drop is kept
//     as the issue's baseline;
//   - while one is open, a later nightly below the baseline edits its title and body and
//     comments on it; one at or above the baseline comments, closes it and forgets it.
// Every step repeats safely when a delivery is retried. Opening is the one Gitea cannot
// dedupe (no idempotency key for issues): when its answer was lost (a timeout, a proxy's 504,
// a crash before the store recorded the number), the issue may exist unknown to the store.
// So the body carries kRegressionMarker, and before opening one the sender looks for an open
// issue of the bot's (`bot_login`) with it and adopts that instead (edits it to this report).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "base/status.h"
#include "bot/forge/forge_client.h"
#include "bot/forge/issue_writer.h"
#include "bot/store/nightly_store.h"

namespace ccci {

// Hidden in every regression issue's body: how a retry finds the issue a lost answer opened.
inline constexpr const char* kRegressionMarker = "<!-- cc-ci:regression -->";

struct RegressionReport {
  int64_t run_id = 0;
  int64_t level = 0;
  int64_t previous_level = 0;
  std::string stage;  // the first stage that did not pass ("" when none is known)
  std::string pass_id;
  std::string run_url;
};

std::string RegressionPayload(const RegressionReport& report);
Result<RegressionReport> ParseRegressionPayload(const std::string& json);

// The title and body of the issue for `report`, whose level dropped from `baseline`.
std::string RegressionTitle(int64_t baseline, int64_t level);
std::string RegressionBody(const std::string& repo, int64_t baseline, const RegressionReport& r);

// Delivers one report (see above); returns what it did ("opened #4", "updated #4",
// "closed #4", "no regression", "adopted #4"). Forge errors come back as they are (the outbox
// retries the retryable ones). `bot_login`: whose issues to look through (gitea.bot_login).
Result<std::string> DeliverRegression(NightlyStore* store, ForgeClient* comments,
                                      IssueWriter* issues, const std::string& bot_login,
                                      const std::string& repo, const RegressionReport& report);

// The outbox's deliverer of "regression" messages (Outbox::Options::deliver_regression).
std::function<Status(const std::string& repo, const std::string& payload)> RegressionSender(
    NightlyStore* store, ForgeClient* comments, IssueWriter* issues, std::string bot_login);

}  // namespace ccci
