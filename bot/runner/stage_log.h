#pragma once
// The log of one stage: a file under the run's log dir that every command of the stage
// appends to, each introduced by a "$ command" line, secrets redacted, the whole file capped.
// One writer for the file, so cc-ci's own lines never land inside a command's line: each
// note starts on a line of its own. With a StoreLogWriter the same bytes also go to the store,
// for the dashboards of other hosts; the cap then counts what the store holds already too.

#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "bot/runner/executor.h"
#include "bot/runner/store_log_writer.h"

namespace ccci::runner {

class StageLog {
 public:
  // `store` may be null (no copy in the store).
  StageLog(std::string path, std::vector<std::string> secrets, size_t cap_bytes,
           Clock* clock = RealClock(), std::unique_ptr<StoreLogWriter> store = nullptr);
  const std::string& path() const { return path_; }
  // A line of cc-ci's own ("[cc-ci] ..."), e.g. what a probe saw.
  void Note(const std::string& line);
  // A sink for the next command's output; its argv is written first. Valid while the
  // StageLog lives; one command at a time.
  std::unique_ptr<OutputSink> ForCommand(const std::vector<std::string>& argv);
  // Sends what the store's copy holds back (call before recording the stage as ended).
  void Flush();

 private:
  // Starts a line of cc-ci's own: whatever was held back goes first, then a line break if
  // the command's last line was left open.
  void StartOwnLine();
  std::string path_;
  std::unique_ptr<StoreLogWriter> store_;  // before file_: file_'s last bytes go to it
  RedactingFileSink file_;
};

// Keeps a copy of the output (up to `cap` bytes) while passing it on to `next`.
class CaptureSink : public OutputSink {
 public:
  CaptureSink(OutputSink* next, size_t cap = 1 << 20) : next_(next), cap_(cap) {}
  void Write(std::string_view chunk) override {
    if (text_.size() < cap_) text_.append(chunk.substr(0, cap_ - text_.size()));
    if (next_) next_->Write(chunk);
  }
  void Idle() override {
    if (next_) next_->Idle();
  }
  void Close() override {
    if (next_) next_->Close();
  }
  const std::string& text() const { return text_; }

 private:
  OutputSink* next_;
  size_t cap_;
  std::string text_;
};

}  // namespace ccci::runner
