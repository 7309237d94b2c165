#pragma once
// Executor seam: runs one command under a pseudo-terminal (abra refuses to work without a
// tty), in its own process group, with a timeout and cancellation. On timeout or cancel the
// whole group gets SIGTERM, then SIGKILL after `grace`, so no descendant outlives the call.
// Output is streamed, as it arrives, to an OutputSink.

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "base/clock.h"
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
  // Called while the command is quiet (about every 20 ms), so a sink can let go of what it
  // held back.
  virtual void Idle() {}
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
  std::string cwd;  // empty: inherit
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
  virtual Result<ExecResult> Run(const Command& cmd, OutputSink& sink,
                                 const CancelToken& cancel) = 0;
};

// The terminal the real executor gives a command (wide: logs, not screens, read it).
inline constexpr unsigned short kPtyColumns = 200;
inline constexpr unsigned short kPtyRows = 50;

// The real executor: each command under a new pty, in a session of its own
// (base/subprocess.h).
class PtyExecutor : public Executor {
 public:
  Result<ExecResult> Run(const Command& cmd, OutputSink& sink, const CancelToken& cancel) override;
};

// Appends to a file, at most `cap_bytes` (then one truncation marker), replacing every
// occurrence of each secret with "***" even when a secret is split across Write() calls.
// Only a tail that could still be the start of a secret is held back (a live log shows
// everything else at once), and even that is written once the output has been quiet for
// `hold_limit`: a hung command's last line must be seen. Should the secret go on after
// that, the rest of it is still replaced ("hun***"). Not thread-safe.
class RedactingFileSink : public OutputSink {
 public:
  RedactingFileSink(std::string path, std::vector<std::string> secrets, size_t cap_bytes,
                    Clock* clock = RealClock(),
                    std::chrono::milliseconds hold_limit = std::chrono::seconds(1));
  ~RedactingFileSink() override;
  void Write(std::string_view chunk) override;
  void Idle() override;
  // Writes everything held back: the output it belongs to has ended.
  void Close() override;
  // True when nothing was written yet or the last byte written ends a line.
  bool at_line_start() const { return at_line_start_; }
  // Also hands every byte written to the file (the truncation marker included) to `tee`,
  // even when the file could not be opened.
  void TeeTo(std::function<void(std::string_view)> tee) { tee_ = std::move(tee); }
  const Status& status() const { return status_; }

 private:
  // The length of the longest end of buf_ that is a proper prefix of a secret.
  size_t SecretPrefixAtEnd() const;
  void Emit(std::string_view text);
  void Put(std::string_view part);  // to the file and the tee
  std::string path_;
  std::vector<std::string> secrets_;
  size_t cap_;
  Clock* clock_;
  std::chrono::milliseconds hold_limit_;
  size_t written_ = 0;
  bool truncated_ = false;
  bool at_line_start_ = true;
  // Output not yet known to be free of a secret's start; its first `emitted_` bytes were
  // already written (held past hold_limit_), the rest are held.
  std::string buf_;
  size_t emitted_ = 0;
  std::chrono::steady_clock::time_point last_write_;
  int fd_ = -1;
  Status status_;
  std::function<void(std::string_view)> tee_;
};

}  // namespace ccci::runner
