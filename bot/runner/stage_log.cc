#include "bot/runner/stage_log.h"

#include <sys/stat.h>

#include <algorithm>

namespace ccci::runner {
namespace {

// What is left of the cap when the file (or the store's copy, written on another host)
// already holds something (a stage run again after a restart appends to its log).
size_t Remaining(const std::string& path, const StoreLogWriter* store, size_t cap) {
  struct stat st;
  size_t used = stat(path.c_str(), &st) == 0 ? static_cast<size_t>(st.st_size) : 0;
  if (store) used = std::max(used, static_cast<size_t>(store->size()));
  return used < cap ? cap - used : 0;
}

// A command's output, into the stage's one file. Close() lets go of what the file held
// back: the output has ended, so no secret can go on past it.
class CommandSink : public OutputSink {
 public:
  CommandSink(RedactingFileSink* file, StoreLogWriter* store) : file_(file), store_(store) {}
  void Write(std::string_view chunk) override { file_->Write(chunk); }
  void Idle() override {
    file_->Idle();
    if (store_) store_->Tick();
  }
  void Close() override { file_->Close(); }

 private:
  RedactingFileSink* file_;
  StoreLogWriter* store_;
};

}  // namespace

StageLog::StageLog(std::string path, std::vector<std::string> secrets, size_t cap_bytes,
                   Clock* clock, std::unique_ptr<StoreLogWriter> store)
    : path_(std::move(path)),
      store_(std::move(store)),
      file_(path_, std::move(secrets), Remaining(path_, store_.get(), cap_bytes), clock) {
  if (store_) file_.TeeTo([w = store_.get()](std::string_view b) { w->Append(b); });
}

void StageLog::Flush() {
  // A failure is logged by the writer, and the file has the bytes: the stage goes on.
  if (store_) (void)store_->Flush();
}

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
  return std::make_unique<CommandSink>(&file_, store_.get());
}

}  // namespace ccci::runner
