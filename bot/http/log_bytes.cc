#include "bot/http/log_bytes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "bot/store/artifact_store.h"

namespace ccci {
namespace {

constexpr size_t kScanBytes = 32 * 1024;

class FileLog : public LogBytes {
 public:
  explicit FileLog(const std::string& path)
      : fd_(path.empty() ? -1 : open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
  ~FileLog() override {
    if (fd_ >= 0) close(fd_);
  }
  FileLog(const FileLog&) = delete;
  FileLog& operator=(const FileLog&) = delete;

  bool exists() const override { return fd_ >= 0; }
  int64_t Size() override {
    struct stat st;
    return fd_ >= 0 && fstat(fd_, &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
  }
  std::string Read(int64_t offset, size_t n) override {
    std::string buf(n, '\0');
    ssize_t got = fd_ >= 0 ? pread(fd_, buf.data(), n, offset) : -1;
    buf.resize(got > 0 ? static_cast<size_t>(got) : 0);
    return buf;
  }

 private:
  int fd_;
};

// The store's chunks of one log. Each call is one query.
class StoreLog : public LogBytes {
 public:
  StoreLog(ArtifactStore* store, int64_t run_id, std::string name, bool exists)
      : store_(store), run_id_(run_id), name_(std::move(name)), exists_(exists) {}
  bool exists() const override { return exists_; }
  int64_t Size() override {
    auto extent = store_->GetLogExtent(run_id_, name_);
    return extent.ok() ? extent->size : -1;
  }
  std::string Read(int64_t offset, size_t n) override {
    auto chunks = store_->ReadLogChunks(run_id_, name_, offset, n);
    return chunks.ok() ? LogBytesFrom(*chunks, offset, n) : std::string();
  }

 private:
  ArtifactStore* store_;
  int64_t run_id_;
  std::string name_;
  bool exists_;
};

}  // namespace

std::unique_ptr<LogBytes> OpenStageLog(const StageLogLocation& where) {
  if (where.store) {
    auto extent = where.store->GetLogExtent(where.run_id, where.name);
    // A store error is not "no log": the file, if any, else the store (whose reads then
    // fail, and are tried again).
    bool stored = extent.ok() && !extent->empty();
    if (!stored) {
      auto file = std::make_unique<FileLog>(where.file);
      if (file->exists()) return file;
    }
    return std::make_unique<StoreLog>(where.store, where.run_id, where.name,
                                      stored || !extent.ok());
  }
  return std::make_unique<FileLog>(where.file);
}

int64_t AfterFirstNewline(LogBytes& log, int64_t from, int64_t end) {
  for (int64_t at = from; at < end; at += kScanBytes) {
    std::string b = log.Read(at, static_cast<size_t>(std::min<int64_t>(kScanBytes, end - at)));
    if (b.empty()) break;
    if (size_t nl = b.find('\n'); nl != std::string::npos) return at + static_cast<int64_t>(nl) + 1;
  }
  return from;
}

int64_t AfterLastNewline(LogBytes& log, int64_t from, int64_t end) {
  for (int64_t stop = end; stop > from;) {
    int64_t at = std::max(from, stop - static_cast<int64_t>(kScanBytes));
    std::string b = log.Read(at, static_cast<size_t>(stop - at));
    if (size_t nl = b.rfind('\n'); nl != std::string::npos)
      return at + static_cast<int64_t>(nl) + 1;
    stop = at;
  }
  return from;
}

}  // namespace ccci
