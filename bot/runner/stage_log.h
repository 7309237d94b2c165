#pragma once
// The log of one stage: a file under the run's log dir that every command of the stage
// appends to, each introduced by a "$ command" line, secrets redacted, the whole file capped.

#include <memory>
#include <string>
#include <vector>

#include "bot/runner/executor.h"

namespace ccci::runner {

class StageLog {
 public:
  StageLog(std::string path, std::vector<std::string> secrets, size_t cap_bytes);
  const std::string& path() const { return path_; }
  // A line of cc-ci's own ("[cc-ci] ..."), e.g. what a probe saw.
  void Note(const std::string& line);
  // A sink for the next command's output; its argv is written first.
  std::unique_ptr<OutputSink> ForCommand(const std::vector<std::string>& argv);

 private:
  size_t Remaining() const;
  std::string path_;
  std::vector<std::string> secrets_;
  size_t cap_;
};

// Keeps a copy of the output (up to `cap` bytes) while passing it on to `next`.
class CaptureSink : public OutputSink {
 public:
  CaptureSink(OutputSink* next, size_t cap = 1 << 20) : next_(next), cap_(cap) {}
  void Write(std::string_view chunk) override {
    if (text_.size() < cap_) text_.append(chunk.substr(0, cap_ - text_.size()));
    if (next_) next_->Write(chunk);
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
