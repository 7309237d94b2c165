#pragma once
// The intake's slice of the store: a verified webhook delivery and the work it causes, recorded
// in one transaction before the webhook is answered (persist first, answer second).

#include <functional>
#include <string>

#include "base/status.h"
#include "bot/store/records.h"

namespace ccci {

class DeliveryStore {
 public:
  virtual ~DeliveryStore() = default;

  // Atomically records `delivery` and the work it causes. Returns only after the
  // transaction is durable (committed), so the caller may acknowledge the webhook; any error
  // (the database is down, the connection was lost) means nothing is acknowledged.
  // A delivery id seen before returns duplicate=true and changes nothing.
  // Thread-safe; concurrent calls may be committed together (group commit).
  virtual Result<RecordOutcome> RecordDelivery(const Delivery& delivery, const Work& work) = 0;

  // RecordDelivery without waiting for the commit: `done` gets what RecordDelivery would
  // return, exactly once, either before this returns or later on another thread (the one
  // that committed). `delivery` and `work` must stay valid until then; `done` must not throw
  // and must not call back into the store's writes. The default records and then calls it.
  using RecordDone = std::function<void(Result<RecordOutcome>)>;
  virtual void RecordDeliveryAsync(const Delivery& delivery, const Work& work, RecordDone done) {
    done(RecordDelivery(delivery, work));
  }

  virtual Result<bool> HasDelivery(const std::string& id) = 0;
};

}  // namespace ccci
