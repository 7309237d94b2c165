// Fuzzes the whole webhook intake path behind the signature check: the form decoder, the
// event parser for every event (simdjson, and RapidJSON for what simdjson refuses), the
// payload checks and the work planner. The input's first byte picks the event and content
// type; the rest is the body, signed correctly so the fuzzer gets past the HMAC. A store stub
// accepts everything, so only parsing and planning are exercised. Each input is handled on a thread with the server's request stack size
// (kRequestThreadStackBytes): the fuzzer's own main thread has megabytes, where a deep
// recursion that crashes the server would pass unnoticed.

#include <pthread.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/log.h"
#include "bot/intake/intake.h"
#include "bot/intake/signature.h"

namespace {

class AcceptingStore : public ccci::DeliveryStore {
 public:
  ccci::Result<ccci::RecordOutcome> RecordDelivery(const ccci::Delivery& d,
                                                   const ccci::Work& w) override {
    // Touch what a real store would read, so the sanitizers see every field.
    size_t n = d.id.size() + d.repo.size() + d.head_sha.size() + w.run.repo.size() +
               w.command.body.size() + w.ignored_reason.size();
    ccci::RecordOutcome out;
    out.run_id = static_cast<int64_t>(n);
    return out;
  }
  ccci::Result<bool> HasDelivery(const std::string&) override { return false; }
};

struct Job {
  ccci::Intake* intake;
  const ccci::WebhookRequest* request;
  ccci::IntakeResponse response;
};

// Runs the intake on a new thread of the request stack size and waits for it.
ccci::IntakeResponse HandleOnRequestThread(ccci::Intake* intake, const ccci::WebhookRequest& req) {
  Job job{intake, &req, {}};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, ccci::kRequestThreadStackBytes);
  pthread_t thread;
  auto run = [](void* arg) -> void* {
    auto* j = static_cast<Job*>(arg);
    j->response = j->intake->Handle(*j->request);
    return nullptr;
  };
  if (pthread_create(&thread, &attr, run, &job) != 0) __builtin_trap();
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
  return job.response;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static AcceptingStore* store = [] {
    ccci::SetLogSink([](const std::string&) {});
    return new AcceptingStore();
  }();
  static ccci::Intake* intake =
      new ccci::Intake(store, {{"fuzz-secret"}, "cc-ci", ccci::RealClock(), {}});
  if (size == 0) return 0;
  static const char* kEvents[] = {"pull_request", "issue_comment", "push", "issues"};
  ccci::WebhookRequest req;
  req.event = kEvents[data[0] & 3];
  req.content_type = (data[0] & 4) ? "application/x-www-form-urlencoded" : "application/json";
  req.delivery = (data[0] & 8) ? "" : "fuzz-delivery";
  req.body.assign(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string signed_json = req.body;
  if ((data[0] & 4) && signed_json.rfind("payload=", 0) == 0) {
    // For form bodies the signature is over the decoded JSON; a mismatch only means the
    // fuzzer stops at the signature check, which is fine for some inputs.
    signed_json = signed_json.substr(8);
  }
  req.signature = ccci::HmacSha256Hex("fuzz-secret", signed_json);
  ccci::IntakeResponse r = HandleOnRequestThread(intake, req);
  if (r.status < 200 || r.status > 503) __builtin_trap();
  return 0;
}
