#pragma once
// Approvals: a trusted user's `!cc-ci ok-to-test` on a PR, as the trust gate
// (bot/gate/trust_gate.h) and the chat-ops handler need them. Like Prow's ok-to-test, an
// approval holds for every later push to the PR, until the PR is closed or merged; a reopened
// PR needs a new one.

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace ccci {

class ApprovalStore {
 public:
  virtual ~ApprovalStore() = default;

  // Records that `by` (whom the caller has found trusted) cleared repo#pr and, in the same
  // transaction, moves the PR's `waiting` runs back to `queued`; returns their ids (empty
  // when nothing was waiting: the approval still counts for later pushes). Approving an
  // approved PR keeps the first approval. From then on, until the PR is closed, a run of
  // the PR is never held: a Store::HoldRun that races with the approval leaves it queued.
  virtual Result<std::vector<int64_t>> Approve(const std::string& repo, int64_t pr,
                                               const std::string& by) = 0;
  // Whether repo#pr has an approval that its closing has not ended yet.
  virtual Result<bool> IsApproved(const std::string& repo, int64_t pr) = 0;
};

}  // namespace ccci
