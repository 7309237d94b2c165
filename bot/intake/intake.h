#pragma once
// Webhook intake: validate (method, signature) -> parse -> decide the work -> persist ->
// answer. Persist first, answer second: a 2xx is returned only after the delivery and the
// work it causes are committed. Every outcome is an HTTP status plus a one-line reason.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "bot/intake/gitea_event.h"
#include "bot/intake/signature.h"
#include "bot/store/delivery_store.h"

namespace ccci {

// The stack the request path (Intake::Handle on an HTTP worker thread) must fit in: a worker
// gets at least this much, and the fuzz target runs the intake on a thread of exactly this
// size, so a recursion that grows with the body (nested JSON) shows up there as a crash.
inline constexpr size_t kRequestThreadStackBytes = 256 * 1024;

// A webhook request as the HTTP layer saw it. The body is the raw bytes, not re-encoded.
struct WebhookRequest {
  std::string method = "POST";
  std::string content_type;
  std::string event;       // X-Gitea-Event (or X-Gogs-Event)
  std::string event_type;  // X-Gitea-Event-Type
  std::string delivery;    // X-Gitea-Delivery
  std::string signature;   // X-Gitea-Signature
  std::string hub_signature_256;
  std::string body;
};

struct IntakeResponse {
  int status = 500;
  std::string message;  // one line, also the response body
  std::string outcome;  // metrics label: accepted, duplicate, ignored, unauthorized, ...
  std::string event;    // metrics label: the event name, or "unknown"
};

// Decides what a parsed event causes. Pure: no I/O. Comments by `bot_login` are ignored.
Work PlanWork(const GiteaEvent& event, const std::string& bot_login);

// True when some line of `body`, trimmed, starts with "!cc-ci" (any case). A cheap filter:
// the full grammar (code blocks, quotes) is applied when the command is handled.
bool MentionsCommand(const std::string& body);

class Intake {
 public:
  struct Options {
    std::vector<std::string> secrets;
    std::string bot_login = "cc-ci";
    Clock* clock = RealClock();
    // Called after a delivery that caused work was committed (not for duplicates or stale
    // deliveries), e.g. to report a queued run or to have the reconciler check a doubtful
    // one (RecordOutcome::awaiting_check). Must not throw; runs on the request thread.
    std::function<void(const Work&, const RecordOutcome&)> on_recorded;
    // A pull_request delivery as new as the PR's newest but saying otherwise is kept for the
    // reconciler to check with Gitea (true; needs a forge), or applied (false).
    bool check_doubts_with_forge = false;
  };
  // `store` must outlive the Intake. Thread-safe.
  Intake(DeliveryStore* store, Options options);

  IntakeResponse Handle(const WebhookRequest& request) const;
  // Handle without waiting for the commit: `done` gets the answer exactly once, on this thread
  // or on the one that commits the delivery (DeliveryStore::RecordDeliveryAsync). `done` must
  // not throw; the Intake must outlive the call to it.
  void HandleAsync(const WebhookRequest& request, std::function<void(IntakeResponse)> done) const;

 private:
  // A checked, parsed delivery on its way to the store.
  struct Pending {
    std::string event;
    Delivery delivery;
    Work work;
  };
  // Checks and parses `request`: the answer when nothing is to be recorded (a refusal, a bad
  // payload), else nullopt with `*pending` filled.
  std::optional<IntakeResponse> Prepare(const WebhookRequest& request, Pending* pending) const;
  // The answer once the store has recorded `pending` (or failed to).
  IntakeResponse Answer(const Pending& pending, const Result<RecordOutcome>& recorded) const;

  DeliveryStore* store_;
  Options options_;
  SignatureVerifier verifier_;
};

}  // namespace ccci
