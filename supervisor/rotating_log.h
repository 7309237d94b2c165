#pragma once
// An append-only text log that rotates by size: when a write would take `path` past
// max_bytes, path.keep is dropped, path.N -> path.N+1, path -> path.1. Thread-compatible.

#include <cstdio>
#include <string>

namespace ccci::supervisor {

class RotatingLog {
 public:
  RotatingLog(std::string path, long long max_bytes, int keep);
  ~RotatingLog();
  RotatingLog(const RotatingLog&) = delete;
  RotatingLog& operator=(const RotatingLog&) = delete;
  // Appends `line` plus a newline and flushes.
  void Append(const std::string& line);

 private:
  void Open();
  void Rotate();
  std::string path_;
  long long max_bytes_;
  int keep_;
  FILE* file_ = nullptr;
  long long size_ = 0;
};

}  // namespace ccci::supervisor
