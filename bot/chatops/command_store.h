#pragma once
// What the chat-ops handler needs from the Store (approvals included: approval_store.h).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "bot/chatops/approval_store.h"

namespace ccci {

struct PendingCommand {
  int64_t id = 0;
  std::string repo;
  int64_t pr = 0;
  int64_t comment_id = 0;
  std::string author;
  std::string body;
  std::optional<bool> author_can_push;
  int64_t created_at_ms = 0;
};

class CommandStore : public ApprovalStore {
 public:
  virtual ~CommandStore() = default;
  virtual Result<std::vector<PendingCommand>> PendingCommands(int limit) = 0;
  // state: done | refused | ignored | limited
  virtual Status FinishCommand(int64_t id, const std::string& state, const std::string& note) = 0;
  // Queues a new run of the PR's latest head (copied from its newest run), unless a run of
  // that head is already queued or running (then returns that one). NotFound when the PR has
  // never had a run.
  virtual Result<int64_t> RetestPr(const std::string& repo, int64_t pr, const std::string& by) = 0;
  // Cancels the PR's queued runs and asks running ones to stop; returns the runs touched.
  virtual Result<std::vector<int64_t>> CancelPr(const std::string& repo, int64_t pr,
                                                const std::string& reason) = 0;
  // A trusted user's retest of a run held for ok-to-test (RetestPr coalesces into it): the
  // run goes back to `queued` as a retest by `by`, which the trust gate admits. Only that
  // run: the PR's later pushes wait again. False when the run is not waiting.
  virtual Result<bool> RetestWaitingRun(int64_t run_id, const std::string& by) = 0;
};

}  // namespace ccci
