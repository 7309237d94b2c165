#pragma once
// TrustGate: the RunGate that holds a PR run whose author is not trusted until a trusted user
// says `!cc-ci ok-to-test` (DESIGN.md "Chat-ops"). A run is admitted when
//   - it is a branch run (pr == 0: a push to the default branch, already merged code);
//   - its trigger is `retest`: only a trusted user's `!cc-ci retest` makes one;
//   - its author is in gitea.trusted_users (case-insensitive, as Gitea logins are);
//   - the PR has an approval (ApprovalStore: ok-to-test, which lasts until the PR closes);
//   - its author has write on the repo by Gitea's permission API (write, admin or owner).
// Otherwise it is held with kWaitingReason; the scheduler then calls Store::HoldRun.
//
// The author's permission comes from the API, not from a payload: a `pull_request`
// payload's `repository.permissions` is the PR poster's on `opened` and `reopened`, but
// all-true on `synchronized` (built with AccessModeOwner; shared/gitea/FACTS.md 2.2), and
// RunRequest does not carry it anyway. Answers are cached per (repo, login) for
// cache_ttl, errors are not. 404 (unknown user) and 403 (the bot's token may not read other
// users' permissions: it needs admin on the repo, FACTS.md 4.5) count as "no write": the
// run is held, and a maintainer can still clear it. Any other forge error (Gitea down, 5xx,
// timeouts, 401) is returned, so the run stays queued and is asked about again.

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "bot/chatops/approval_store.h"
#include "bot/forge/forge_client.h"
#include "bot/store/run_gate.h"

namespace ccci {

class TrustGate : public RunGate {
 public:
  static constexpr const char* kWaitingReason = "waiting for a trusted `!cc-ci ok-to-test`";

  struct Options {
    std::vector<std::string> trusted_users;  // gitea.trusted_users
    std::chrono::seconds cache_ttl{300};     // how long a permission answer is reused
    Clock* clock = RealClock();
  };
  // `approvals` (the SqlStore) and `forge` must outlive the gate. `forge` may be null
  // (dry-run without a token): then only the allowlist, approvals and retests admit.
  TrustGate(ApprovalStore* approvals, ForgeClient* forge, Options options);

  // Thread-safe. When admitted, `reason` says why (for the log).
  Result<GateDecision> Admit(const Run& run) override;

 private:
  // Whether `login` may write to `repo`, from the cache or the permission API.
  Result<bool> CanWrite(const std::string& repo, const std::string& login);

  struct Cached {
    bool can_write = false;
    std::chrono::steady_clock::time_point expires;
  };

  ApprovalStore* approvals_;
  ForgeClient* forge_;
  Options options_;
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, Cached> cache_;  // (repo, lower login)
};

}  // namespace ccci
