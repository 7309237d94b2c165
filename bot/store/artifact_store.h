#pragma once
// A run's artifacts, kept in the store so that every host sees them: the front node's
// dashboard serves, and streams live, the logs of a run a worker on another host is running,
// and its screenshot (and so its card), with no shared filesystem (issue 15).
//
// A stage log is a sequence of chunks, appended by the one writer of that log (the runner's
// StoreLogWriter) while the stage runs: chunk `seq` holds the bytes [offset, offset + size)
// of the log, seq 0, 1, 2, ... with no gap, so a reader that saw up to byte N asks for what
// follows N (an SSE Last-Event-ID is such an offset). The log's size is bounded by the
// runner's log cap (runner.log_cap, the "[cc-ci: log truncated at size cap]" marker), each
// chunk by kMaxLogChunkBytes. A blob is a named file of a run (screenshot.png), replaced
// whole, at most kMaxBlobBytes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace ccci {

inline constexpr size_t kMaxLogChunkBytes = 256 * 1024;
inline constexpr size_t kMaxBlobBytes = 8 << 20;
// The blob of the app's screenshot (and its file in the run's log dir).
inline constexpr const char* kScreenshotFile = "screenshot.png";

struct LogChunk {
  int64_t seq = 0;
  int64_t offset = 0;  // of its first byte in the log
  std::string bytes;
};

// Where a log ends: its size and the seq its next chunk takes. {0, 0} when it has none.
struct LogExtent {
  int64_t size = 0;
  int64_t next_seq = 0;
  bool empty() const { return next_seq == 0; }
};

struct ArtifactBlob {
  std::string content_type;
  std::string bytes;
};

class ArtifactStore {
 public:
  virtual ~ArtifactStore() = default;

  // Appends chunk `seq` of `log` of run `run_id` at byte `offset`. InvalidArgument when the
  // chunk is empty or larger than kMaxLogChunkBytes; AlreadyExists when `seq` is taken
  // (another writer of the same log: the first one keeps it).
  virtual Status AppendLogChunk(int64_t run_id, const std::string& log, int64_t seq, int64_t offset,
                                std::string_view bytes) = 0;
  // The chunks that hold bytes at or after `from_offset`, in order, until about `max_bytes`
  // (at least one chunk when there is one). The first may start before `from_offset`.
  virtual Result<std::vector<LogChunk>> ReadLogChunks(int64_t run_id, const std::string& log,
                                                      int64_t from_offset, size_t max_bytes) = 0;
  virtual Result<LogExtent> GetLogExtent(int64_t run_id, const std::string& log) = 0;

  // Stores (or replaces) blob `name` of run `run_id`. InvalidArgument past kMaxBlobBytes.
  virtual Status PutBlob(int64_t run_id, const std::string& name, const std::string& content_type,
                         std::string_view bytes) = 0;
  // NotFound when the run has no such blob.
  virtual Result<ArtifactBlob> GetBlob(int64_t run_id, const std::string& name) = 0;

  // Runs that have artifacts and ended (finished, error, cancelled, superseded) before
  // `cutoff_ms`, at most `limit`: what retention deletes.
  virtual Result<std::vector<int64_t>> RunsWithArtifactsEndedBefore(int64_t cutoff_ms,
                                                                    int limit) = 0;
  // Deletes every log chunk and blob of the run. Returns how many rows went.
  virtual Result<int64_t> DeleteArtifacts(int64_t run_id) = 0;
};

// Concatenates `chunks` (as ReadLogChunks returns them) and returns the bytes from `offset`,
// at most `n`.
std::string LogBytesFrom(const std::vector<LogChunk>& chunks, int64_t offset, size_t n);

}  // namespace ccci
