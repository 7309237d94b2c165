#pragma once
// A stage log as the log pages and the live stream read it, wherever it is: the file the
// runner of this host writes under the data dir, or the store's chunks (bot/store/
// artifact_store.h), which the runner of any host appends. Both hold the same bytes at the
// same offsets; the store's copy lags the file by at most a flush interval. The store's copy
// is read when it has the log or there is no file (a front node that did not run the stage);
// the file otherwise (runs from before the store held logs, or no store).

#include <cstdint>
#include <memory>
#include <string>

namespace ccci {

class ArtifactStore;

class LogBytes {
 public:
  virtual ~LogBytes() = default;
  // Whether there is a log at all (so far).
  virtual bool exists() const = 0;
  // Its size now; -1 when it cannot be told (the store is unavailable): try again later.
  virtual int64_t Size() = 0;
  // Up to `n` bytes at `offset` (fewer at the end; empty on an error).
  virtual std::string Read(int64_t offset, size_t n) = 0;
};

// Where one stage log may be.
struct StageLogLocation {
  ArtifactStore* store = nullptr;  // null: files only
  int64_t run_id = 0;
  std::string name;  // the log's file name: install.log, install.1.log
  std::string file;  // its absolute path on this host; empty: no file
};

// Never null; exists() says whether either place has the log.
std::unique_ptr<LogBytes> OpenStageLog(const StageLogLocation& where);

// The offset just after the first '\n' at or after `from` and before `end`; `from` when
// there is none.
int64_t AfterFirstNewline(LogBytes& log, int64_t from, int64_t end);
// The offset just after the last '\n' in [from, end); `from` when there is none.
int64_t AfterLastNewline(LogBytes& log, int64_t from, int64_t end);

}  // namespace ccci
