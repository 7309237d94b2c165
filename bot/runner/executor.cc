#include "bot/runner/executor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "base/child_env.h"
#include "base/subprocess.h"

namespace ccci::runner {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Streams the child's terminal to `sink` until it and its whole group are gone, ending the
// group on timeout or cancel (SIGTERM, SIGKILL after `grace`).
ExecResult Pump(Subprocess& child, const Command& cmd, OutputSink& sink,
                const CancelToken& cancel) {
  const pid_t pid = child.pid();
  ExecResult result;
  const auto deadline = SteadyClock::now() + cmd.timeout;
  SteadyClock::time_point kill_at{};
  bool terminating = false, eof = false;
  std::optional<int> wstatus;
  useconds_t reap_wait = 500;  // after the pty closed: the child is about to exit
  char buf[4096];
  auto terminate = [&](SteadyClock::time_point now) {
    SignalGroup(pid, SIGTERM);
    terminating = true;
    kill_at = now + cmd.grace;
  };
  while (true) {
    if (!eof) {
      pollfd p{child.pty(), POLLIN, 0};
      if (poll(&p, 1, 20) > 0) {
        ssize_t n = read(child.pty(), buf, sizeof buf);
        if (n > 0) {
          sink.Write(std::string_view(buf, static_cast<size_t>(n)));
          continue;
        }
        if (n < 0 && errno == EINTR) continue;
        eof = true;  // EIO: every holder of the pty slave is gone
      }
    } else {
      // Look again soon, then less often (a child that closed its terminal but runs on).
      usleep(reap_wait);
      reap_wait = std::min<useconds_t>(reap_wait * 2, 20000);
    }
    sink.Idle();  // a quiet moment: the sink may let go of a tail it held back
    if (!wstatus) wstatus = child.TryWait();
    auto now = SteadyClock::now();
    if (!terminating && !wstatus) {
      if (cancel.cancelled())
        result.cancelled = true;
      else if (now >= deadline)
        result.timed_out = true;
      if (result.cancelled || result.timed_out) terminate(now);
    }
    if (terminating && now >= kill_at && GroupExists(pid)) SignalGroup(pid, SIGKILL);
    if (wstatus) {
      // The leader is gone; descendants in its group that still hold the pty would keep us
      // reading forever, and the run is over either way: end the whole group.
      // Once we are ending the group, not before each member is dead: a member closes its
      // terminal early in its exit, so EOF comes while it still runs (and a member that closed
      // it before would never get the SIGKILL).
      if (terminating ? !GroupAlive(pid) : (eof || !GroupExists(pid))) {
        // What the group wrote before it ended is still in the pty: read it (when no holder
        // of the slave is left, a read flushes it and then fails with EIO). Bounded: a
        // process outside the group may still hold the slave and write on.
        pollfd p{child.pty(), POLLIN, 0};
        for (int reads = 0; !eof && reads < 256 && poll(&p, 1, 0) > 0; ++reads) {
          ssize_t n = read(child.pty(), buf, sizeof buf);
          if (n > 0)
            sink.Write(std::string_view(buf, static_cast<size_t>(n)));
          else if (n == 0 || errno != EINTR)
            eof = true;
        }
        break;
      }
      if (!terminating) terminate(now);
    }
  }
  if (WIFEXITED(*wstatus)) result.exit_code = WEXITSTATUS(*wstatus);
  if (WIFSIGNALED(*wstatus)) result.signal = WTERMSIG(*wstatus);
  return result;
}

}  // namespace

Result<ExecResult> PtyExecutor::Run(const Command& cmd, OutputSink& sink,
                                    const CancelToken& cancel) {
  SpawnOptions options;
  options.argv = cmd.argv;
  options.env = ChildEnvironment(cmd.pass_env, cmd.env);
  options.cwd = cmd.cwd;
  // A terminal of a size: a 0x0 one makes abra's tables (lint) wrap or truncate to nothing.
  options.pty = true;
  options.pty_rows = kPtyRows;
  options.pty_columns = kPtyColumns;
  auto child = Subprocess::Spawn(options);
  if (!child.ok()) return child.status();
  if (!cmd.pid_file.empty()) RecordGroup(cmd.pid_file, child->pid());
  ExecResult result = Pump(*child, cmd, sink, cancel);
  if (!cmd.pid_file.empty()) unlink(cmd.pid_file.c_str());
  sink.Close();
  return result;
}

RedactingFileSink::RedactingFileSink(std::string path, std::vector<std::string> secrets,
                                     size_t cap_bytes, Clock* clock,
                                     std::chrono::milliseconds hold_limit)
    : path_(std::move(path)), cap_(cap_bytes), clock_(clock), hold_limit_(hold_limit) {
  for (auto& s : secrets)
    if (!s.empty()) secrets_.push_back(std::move(s));
  fd_ = open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) {
    status_ = Internal("open " + path_ + ": " + strerror(errno));
    return;
  }
  struct stat st;
  char last = '\n';
  if (fstat(fd_, &st) == 0 && st.st_size > 0 && pread(fd_, &last, 1, st.st_size - 1) == 1) {
    at_line_start_ = last == '\n';
  }
}

RedactingFileSink::~RedactingFileSink() {
  Close();
  if (fd_ >= 0) close(fd_);
}

size_t RedactingFileSink::SecretPrefixAtEnd() const {
  size_t best = 0;
  for (const auto& s : secrets_) {
    for (size_t n = std::min(s.size() - 1, buf_.size()); n > best; --n) {
      if (buf_.compare(buf_.size() - n, n, s, 0, n) == 0) {
        best = n;
        break;
      }
    }
  }
  return best;
}

void RedactingFileSink::Write(std::string_view chunk) {
  if (chunk.empty()) return;
  buf_.append(chunk);
  last_write_ = clock_->SteadyNow();
  // What was already written stays as it is; the rest of a secret it started is replaced.
  for (const auto& s : secrets_) {
    size_t at = buf_.find(s);
    while (at != std::string::npos) {
      size_t end = at + s.size();
      if (end <= emitted_) {
        at = buf_.find(s, at + 1);
        continue;
      }
      size_t from = std::max(at, emitted_);
      buf_.replace(from, end - from, "***");
      at = buf_.find(s, from + 3);
    }
  }
  size_t keep = SecretPrefixAtEnd();
  size_t cut = buf_.size() - keep;
  if (cut > emitted_) Emit(std::string_view(buf_).substr(emitted_, cut - emitted_));
  buf_.erase(0, cut);
  emitted_ = cut >= emitted_ ? 0 : emitted_ - cut;
}

void RedactingFileSink::Idle() {
  if (emitted_ == buf_.size() || clock_->SteadyNow() - last_write_ < hold_limit_) return;
  Emit(std::string_view(buf_).substr(emitted_));
  emitted_ = buf_.size();
}

void RedactingFileSink::Close() {
  Emit(std::string_view(buf_).substr(emitted_));
  buf_.clear();
  emitted_ = 0;
}

void RedactingFileSink::Put(std::string_view part) {
  if (fd_ >= 0 && write(fd_, part.data(), part.size()) < 0) status_ = Internal("write log");
  if (tee_) tee_(part);
}

void RedactingFileSink::Emit(std::string_view text) {
  if ((fd_ < 0 && !tee_) || truncated_ || text.empty()) return;
  size_t room = cap_ > written_ ? cap_ - written_ : 0;
  std::string_view part = text.substr(0, room);
  if (!part.empty()) Put(part);
  written_ += part.size();
  if (!part.empty()) at_line_start_ = part.back() == '\n';
  if (part.size() < text.size()) {
    static constexpr std::string_view kMarker = "\n[cc-ci: log truncated at size cap]\n";
    Put(kMarker);
    truncated_ = true;
    at_line_start_ = true;
  }
}

}  // namespace ccci::runner
