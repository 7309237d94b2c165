#pragma once
// The machine-facing routes: POST /hooks/gitea (webhook intake), GET /healthz, /metrics,
// /api/runs, /api/runs/{id} and /api/outbox.

#include <atomic>
#include <mutex>
#include <string>
#include <string_view>

#include "bot/http/route.h"

namespace ccci {

struct HttpServices;
struct IntakeResponse;

inline constexpr std::string_view kHookPath = "/hooks/gitea";

// What the webhook intake saw last, for /healthz: once a delivery could not be stored, the
// server says so until one is stored again. Thread-safe; while deliveries are stored,
// Observe costs one atomic load.
class IntakeHealth {
 public:
  void Observe(const IntakeResponse& response);
  // Why deliveries cannot be stored; empty while they can.
  std::string Failure() const;

 private:
  std::atomic<bool> failing_{false};
  mutable std::mutex mu_;
  std::string failure_;
};

// Free bytes under which /healthz reports the data dir's file system as full.
inline constexpr int64_t kMinFreeDiskBytes = 1 << 20;

// A route for `path` if it is one of the above; the services and `health` must outlive it.
Route MatchApiRoute(std::string_view path, const HttpServices* services, IntakeHealth* health);

// The answer to a webhook delivery the front refused before the intake saw it (too large,
// malformed, too slow, queue full): counted and logged as a delivery.
HttpResponse RejectDelivery(const HttpRequest& partial, int status, const std::string& reason,
                            const HttpServices* services);

}  // namespace ccci
