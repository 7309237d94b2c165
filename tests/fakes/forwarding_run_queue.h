#pragma once
// A RunQueue that passes every call on to another (the store): tests derive from it and
// override the calls they count or fail.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bot/store/run_queue.h"

namespace ccci::testing {

class ForwardingRunQueue : public RunQueue {
 public:
  explicit ForwardingRunQueue(RunQueue* q) : q_(q) {}

  Result<std::vector<Run>> QueuedRuns(int limit) override { return q_->QueuedRuns(limit); }
  Result<bool> ClaimRun(int64_t id) override { return q_->ClaimRun(id); }
  Result<std::optional<Lease>> ClaimNext(const std::string& worker, int64_t lease_ms,
                                         const std::string& server) override {
    return q_->ClaimNext(worker, lease_ms, server);
  }
  Result<bool> ExtendLease(int64_t run_id, const std::string& worker, int64_t attempt,
                           int64_t lease_ms) override {
    return q_->ExtendLease(run_id, worker, attempt, lease_ms);
  }
  Status HoldRun(int64_t id, const std::string& reason) override { return q_->HoldRun(id, reason); }
  Status HoldRuns(const std::vector<std::pair<int64_t, std::string>>& holds) override {
    return q_->HoldRuns(holds);
  }
  Status RecordStage(const StageRecord& stage) override { return q_->RecordStage(stage); }
  Status FinishRun(int64_t id, const std::string& state, std::optional<int64_t> level,
                   const std::string& reason) override {
    return q_->FinishRun(id, state, level, reason);
  }
  Status RequeueRun(int64_t id, const std::string& reason) override {
    return q_->RequeueRun(id, reason);
  }
  Status RecordStage(const Holder& holder, const StageRecord& stage) override {
    return q_->RecordStage(holder, stage);
  }
  Status FinishRun(const Holder& holder, int64_t id, const std::string& state,
                   std::optional<int64_t> level, const std::string& reason) override {
    return q_->FinishRun(holder, id, state, level, reason);
  }
  Status RequeueRun(const Holder& holder, int64_t id, const std::string& reason) override {
    return q_->RequeueRun(holder, id, reason);
  }
  Status ReleaseRun(const Holder& holder, int64_t id, const std::string& state,
                    const std::string& reason) override {
    return q_->ReleaseRun(holder, id, state, reason);
  }
  Result<std::vector<Run>> ReapExpiredLeases(const std::string& worker, const std::string& server,
                                             int64_t lease_ms, int64_t max_attempts) override {
    return q_->ReapExpiredLeases(worker, server, lease_ms, max_attempts);
  }
  Result<bool> ExtendTakeOver(const Holder& holder, int64_t run_id, int64_t lease_ms) override {
    return q_->ExtendTakeOver(holder, run_id, lease_ms);
  }
  Status RequeueTakenOver(const Holder& holder, int64_t run_id) override {
    return q_->RequeueTakenOver(holder, run_id);
  }

 protected:
  RunQueue* q_;
};

}  // namespace ccci::testing
