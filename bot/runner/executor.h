#pragma once
// Executor seam: runs one command under a pseudo-terminal (abra refuses to work without a
// tty), in its own process group, with a timeout and cancellation. On timeout or cancel the
// whole group gets SIGTERM, then SIGKILL after `grace`, so no descendant outlives the call.
// Output is streamed, as it arrives, to an OutputSink.

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "base/leftover_group.h"
#include "base/status.h"

namespace ccci::runner {

// Set from any thread; the executor polls it while the command runs.
class CancelToken {
 public:
  void Cancel() { cancelled_.store(true); }
  bool cancelled() const { return cancelled_.load(); }

 private:
  std::atomic<bool> cancelled_{false};
};

class OutputSink {
 public:
  virtual ~OutputSink() = default;
  virtual void Write(std::string_view chunk) = 0;
  // Called once after the command ended; flushes held-back bytes.
  virtual void Close() {}
};

struct Command {
  std::vector<std::string> argv;  // argv[0] is looked up on PATH
  // The child's environment is built, not inherited (base/child_env.h): the base names and
  // `pass_env` (a trailing '*' matches a prefix; never CC_CI_*) copied from cc-ci's, then
  // `env` ("K=V"), which overrides them.
  std::vector<std::string> env;
  std::vector<std::string> pass_env;
  std::string cwd;                // empty: inherit
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
  std::chrono::milliseconds grace{std::chrono::seconds(5)};
  // When set, the command's process group is recorded here while it runs
  // (base/leftover_group.h): it outlives a cc-ci killed mid-command, and the next start
  // ends it through KillLeftoverGroup.
  std::string pid_file;
};

struct ExecResult {
  int exit_code = -1;  // valid when !signaled
  int signal = 0;      // terminating signal, 0 if exited normally
  bool timed_out = false;
  bool cancelled = false;
  bool ok() const { return !timed_out && !cancelled && signal == 0 && exit_code == 0; }
};

class Executor {
 public:
  virtual ~Executor() = default;
  // Error Status only when the command could not be started (e.g. not found: kNotFound).
  virtual Result<ExecResult> Run(const Command& cmd, OutputSink& sink, const CancelToken& cancel) = 0;
};

// The terminal the real executor gives a command (wide: logs, not screens, read it).
inline constexpr unsigned short kPtyColumns = 200;
inline constexpr unsigned short kPtyRows = 50;

// forkpty-based real executor.
class PtyExecutor : public Executor {
 public:
  Result<ExecResult> Run(const Command& cmd, OutputSink& sink, const CancelToken& cancel) override;
};

// Appends to a file, at most `cap_bytes` (then one truncation marker), replacing every
// occurrence of each secret with "***" even when a secret is split across Write() calls
// (the tail that could start a secret is held back until the next chunk or Close()).
class RedactingFileSink : public OutputSink {
 public:
  RedactingFileSink(std::string path, std::vector<std::string> secrets, size_t cap_bytes);
  ~RedactingFileSink() override;
  void Write(std::string_view chunk) override;
  void Close() override;
  const Status& status() const { return status_; }

 private:
  void Emit(std::string_view text);
  std::string path_;
  std::vector<std::string> secrets_;
  size_t cap_;
  size_t written_ = 0;
  bool truncated_ = false;
  bool closed_ = false;
  std::string pending_;
  int fd_ = -1;
  Status status_;
};

}  // namespace ccci::runner
