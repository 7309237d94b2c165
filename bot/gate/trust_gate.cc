#include "bot/gate/trust_gate.h"

#include <algorithm>

#include "base/log.h"

namespace ccci {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

GateDecision Admitted(std::string why) { return GateDecision{true, std::move(why)}; }

}  // namespace

TrustGate::TrustGate(ApprovalStore* approvals, ForgeClient* forge, Options options)
    : approvals_(approvals), forge_(forge), options_(std::move(options)) {}

Result<GateDecision> TrustGate::Admit(const Run& run) {
  if (run.pr == 0) return Admitted("branch run");
  if (run.trigger == "retest") return Admitted("retest by a trusted user");
  std::string author = Lower(run.author);
  for (const std::string& u : options_.trusted_users) {
    if (Lower(u) == author) return Admitted("author is in gitea.trusted_users");
  }
  auto approved = approvals_->IsApproved(run.repo, run.pr);
  if (!approved.ok()) return approved.status();
  if (*approved) return Admitted("ok-to-test");
  if (forge_ && !author.empty()) {
    auto write = CanWrite(run.repo, author);
    if (!write.ok()) return write.status();
    if (*write) return Admitted("author has write permission");
  }
  return GateDecision{false, kWaitingReason};
}

Result<bool> TrustGate::CanWrite(const std::string& repo, const std::string& login) {
  auto key = std::make_pair(repo, login);
  auto now = options_.clock->SteadyNow();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && now < it->second.expires) return it->second.can_write;
  }
  // Asked outside the lock: one slow answer must not stall the other scheduler threads. Two
  // threads may ask about the same login at once; both answers are the same.
  bool can_write = false;
  auto p = forge_->GetPermission(repo, login);
  if (p.ok()) {
    can_write = *p == "write" || *p == "admin" || *p == "owner";
  } else if (p.status().code() == Code::kPermissionDenied) {
    LogWarn("trust.permission_forbidden",
            {{"repo", repo},
             {"author", login},
             {"reason", "the bot's token may not read permissions; it needs admin on the repo"}});
  } else if (p.status().code() != Code::kNotFound) {
    return p.status();
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (cache_.size() >= 4096) {  // drop what expired, so the cache stays small
    std::erase_if(cache_, [&](const auto& kv) { return kv.second.expires <= now; });
  }
  cache_[key] = Cached{can_write, now + options_.cache_ttl};
  return can_write;
}

}  // namespace ccci
