#include "supervisor/rotating_log.h"

#include <cstdio>

namespace ccci::supervisor {

RotatingLog::RotatingLog(std::string path, long long max_bytes, int keep)
    : path_(std::move(path)), max_bytes_(max_bytes), keep_(keep < 1 ? 1 : keep) {
  Open();
}

RotatingLog::~RotatingLog() {
  if (file_) fclose(file_);
}

void RotatingLog::Open() {
  file_ = fopen(path_.c_str(), "ae");
  size_ = 0;
  if (file_) {
    fseek(file_, 0, SEEK_END);
    size_ = ftell(file_);
  }
}

void RotatingLog::Rotate() {
  if (file_) fclose(file_);
  file_ = nullptr;
  std::remove((path_ + "." + std::to_string(keep_)).c_str());
  for (int i = keep_ - 1; i >= 1; --i) {
    std::rename((path_ + "." + std::to_string(i)).c_str(),
                (path_ + "." + std::to_string(i + 1)).c_str());
  }
  std::rename(path_.c_str(), (path_ + ".1").c_str());
  Open();
}

void RotatingLog::Append(const std::string& line) {
  long long need = static_cast<long long>(line.size()) + 1;
  if (size_ > 0 && size_ + need > max_bytes_) Rotate();
  if (!file_) return;
  fwrite(line.data(), 1, line.size(), file_);
  fputc('\n', file_);
  fflush(file_);
  size_ += need;
}

}  // namespace ccci::supervisor
