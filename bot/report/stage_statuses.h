#pragma once
// A commit status per stage (gitea.status_per_stage): beside the run's cc-ci/recipe, one
// cc-ci/<stage> context for each stage of the suite but teardown (cleaning up is not a result
// a branch could require), so a repo's branch protection can require e.g. cc-ci/backup.
//   pass -> success; flaky -> success ("flaky: ..."); skip -> success ("skipped: <reason>");
//   fail, unverified -> failure; error -> error; running -> pending.
// A stage not recorded yet is pending while the run is queued, waiting or running; once the
// run ended without it (a CI error or a cancel stopped the suite) it is an error, so no
// required context is left pending forever.

#include <string>
#include <vector>

#include "bot/forge/forge_client.h"
#include "bot/store/records.h"

namespace ccci {

// `public_url` prefixes each status's link (the stage's log, else the run's page).
std::vector<CommitStatusRequest> StageStatuses(const Run& run,
                                               const std::vector<StageRecord>& stages,
                                               const std::string& public_url);

// Shortens `s` to at most `max` bytes without cutting a UTF-8 character (Gitea keeps status
// descriptions short).
std::string Utf8Prefix(const std::string& s, size_t max);

}  // namespace ccci
