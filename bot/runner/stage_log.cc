#include "bot/runner/stage_log.h"

#include <sys/stat.h>

namespace ccci::runner {
namespace {

// What is left of the cap when the file already holds something (a stage run again after
// a restart appends to its log).
size_t Remaining(const std::string& path, size_t cap) {
  struct stat st;
  size_t used = stat(path.c_str(), &st) == 0 ? static_cast<size_t>(st.st_size) : 0;
  return used < cap ? cap - used : 0;
}

// A command's output, into the stage's one file. Close() lets go of what the file held
// back: the output has ended, so no secret can go on past it.
class CommandSink : public OutputSink {
 public:
  explicit CommandSink(RedactingFileSink* file) : file_(file) {}
  void Write(std::string_view chunk) override { file_->Write(chunk); }
  void Idle() override { file_->Idle(); }
  void Close() override { file_->Close(); }

 private:
  RedactingFileSink* file_;
};

}  // namespace

StageLog::StageLog(std::string path, std::vector<std::string> secrets, size_t cap_bytes,
                   Clock* clock)
    : path_(std::move(path)), file_(path_, std::move(secrets), Remaining(path_, cap_bytes), clock) {}

void StageLog::StartOwnLine() {
  file_.Close();
  if (!file_.at_line_start()) file_.Write("\n");
}

void StageLog::Note(const std::string& line) {
  StartOwnLine();
  file_.Write("[cc-ci] " + line + "\n");
  file_.Close();
}

std::unique_ptr<OutputSink> StageLog::ForCommand(const std::vector<std::string>& argv) {
  std::string header = "$";
  for (const auto& a : argv) header += " " + a;
  StartOwnLine();
  file_.Write(header + "\n");
  file_.Close();
  return std::make_unique<CommandSink>(&file_);
}

}  // namespace ccci::runner
