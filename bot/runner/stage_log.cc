#include "bot/runner/stage_log.h"

#include <sys/stat.h>

namespace ccci::runner {

StageLog::StageLog(std::string path, std::vector<std::string> secrets, size_t cap_bytes)
    : path_(std::move(path)), secrets_(std::move(secrets)), cap_(cap_bytes) {}

size_t StageLog::Remaining() const {
  struct stat st;
  size_t used = stat(path_.c_str(), &st) == 0 ? static_cast<size_t>(st.st_size) : 0;
  return used < cap_ ? cap_ - used : 0;
}

void StageLog::Note(const std::string& line) {
  RedactingFileSink sink(path_, secrets_, Remaining());
  sink.Write("[cc-ci] " + line + "\n");
}

std::unique_ptr<OutputSink> StageLog::ForCommand(const std::vector<std::string>& argv) {
  std::string header = "$";
  for (const auto& a : argv) header += " " + a;
  auto sink = std::make_unique<RedactingFileSink>(path_, secrets_, Remaining());
  sink->Write(header + "\n");
  return sink;
}

}  // namespace ccci::runner
