#include "bot/runner/store_log_writer.h"

#include <algorithm>

#include "base/log.h"

namespace ccci::runner {

StoreLogWriter::StoreLogWriter(ArtifactStore* store, int64_t run_id, std::string log, Clock* clock,
                               Options options)
    : store_(store), run_id_(run_id), log_(std::move(log)), clock_(clock), o_(options) {
  o_.flush_bytes = std::clamp<size_t>(o_.flush_bytes, 1, kMaxLogChunkBytes);
  auto extent = store_->GetLogExtent(run_id_, log_);
  if (extent.ok()) {
    extent_ = *extent;
    opened_ = true;
  }
}

StoreLogWriter::~StoreLogWriter() { (void)Flush(); }  // logged inside; nobody left to tell

void StoreLogWriter::Append(std::string_view bytes) {
  if (stopped_ || bytes.empty()) return;
  if (buf_.empty()) oldest_ = clock_->SteadyNow();
  buf_.append(bytes);
  if (buf_.size() >= o_.flush_bytes) {
    (void)Flush();  // a failure keeps the bytes for the next flush
  } else {
    Tick();
  }
}

void StoreLogWriter::Tick() {
  // A failure keeps the bytes (and is logged): the next tick tries again.
  if (!buf_.empty() && clock_->SteadyNow() - oldest_ >= o_.flush_interval) (void)Flush();
}

Status StoreLogWriter::Flush() {
  if (stopped_ || buf_.empty()) return Status::Ok();
  Status st = Status::Ok();
  if (!opened_) {
    auto extent = store_->GetLogExtent(run_id_, log_);
    if (extent.ok()) {
      extent_ = *extent;
      opened_ = true;
    } else {
      st = extent.status();
    }
  }
  size_t done = 0;
  while (st.ok() && done < buf_.size()) {
    size_t n = std::min(buf_.size() - done, kMaxLogChunkBytes);
    st = store_->AppendLogChunk(run_id_, log_, extent_.next_seq, extent_.size,
                                std::string_view(buf_).substr(done, n));
    if (!st.ok()) break;
    ++extent_.next_seq;
    extent_.size += static_cast<int64_t>(n);
    done += n;
  }
  buf_.erase(0, done);
  if (!buf_.empty()) oldest_ = clock_->SteadyNow();  // try again an interval from now
  if (st.code() == Code::kFailedPrecondition) {
    stopped_ = true;
    buf_.clear();
  }
  if (!st.ok() && !warned_) {
    warned_ = true;
    LogWarn("logs.store_append_failed",
            {{"run", run_id_}, {"log", log_}, {"reason", st.message()}});
  }
  return st;
}

}  // namespace ccci::runner
