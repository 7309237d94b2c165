#pragma once
// A stage log's copy in the store (bot/store/artifact_store.h), so the dashboard of any host
// shows and streams it. The log's bytes, as written to the file (redacted, capped), are
// buffered and appended as chunks: when kFlushBytes are waiting, when the oldest waiting byte
// is flush_interval old (checked on every write and on the executor's idle ticks), and at the
// stage's end, before the stage is recorded as ended (a reader that sees the stage ended then
// has its whole log). A stage run again after a requeue continues the log where the store has
// it, as the file is appended to.
//
// The store being unreachable costs no output: the bytes stay buffered (bounded by the log
// cap) and go with the next flush. A chunk whose seq another writer took (a worker that lost
// its lease while another one runs the stage again) stops this writer: the log is the other
// one's now.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/status.h"
#include "bot/store/artifact_store.h"

namespace ccci::runner {

class StoreLogWriter {
 public:
  struct Options {
    size_t flush_bytes = 64 * 1024;  // at most kMaxLogChunkBytes
    std::chrono::milliseconds flush_interval{500};
  };
  StoreLogWriter(ArtifactStore* store, int64_t run_id, std::string log, Clock* clock,
                 Options options);
  StoreLogWriter(ArtifactStore* store, int64_t run_id, std::string log, Clock* clock)
      : StoreLogWriter(store, run_id, std::move(log), clock, Options()) {}
  ~StoreLogWriter();  // flushes
  StoreLogWriter(const StoreLogWriter&) = delete;
  StoreLogWriter& operator=(const StoreLogWriter&) = delete;

  // The log's size so far, stored and buffered.
  int64_t size() const { return extent_.size + static_cast<int64_t>(buf_.size()); }
  void Append(std::string_view bytes);
  // Flushes when the oldest buffered byte has waited flush_interval.
  void Tick();
  // Appends everything buffered. The first error is returned (and logged once).
  Status Flush();

 private:
  ArtifactStore* store_;
  int64_t run_id_;
  std::string log_;
  Clock* clock_;
  Options o_;
  bool opened_ = false;  // extent_ read from the store
  bool stopped_ = false;
  bool warned_ = false;
  LogExtent extent_;
  std::string buf_;
  std::chrono::steady_clock::time_point oldest_;
};

}  // namespace ccci::runner
