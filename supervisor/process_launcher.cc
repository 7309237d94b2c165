#include "supervisor/process_launcher.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace ccci::supervisor {
namespace {

constexpr size_t kMaxLine = 1 << 20;

struct ProcStat {
  char state = '?';
  int pgrp = 0;
  uint64_t start_ticks = 0;
};

std::optional<ProcStat> ReadProcStat(int pid) {
  // Plain read(2): the process may vanish mid-read (ESRCH), which an ifstream turns into
  // an exception.
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buf[1024];
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return std::nullopt;
  std::string text(buf, static_cast<size_t>(n));
  // The command name (field 2) may hold spaces and parens; fields resume after the last ')'.
  size_t paren = text.rfind(')');
  if (paren == std::string::npos || paren + 2 > text.size()) return std::nullopt;
  std::istringstream rest(text.substr(paren + 2));
  ProcStat st;
  std::string field;
  // Field 3 is state; 5 is pgrp; 22 is starttime.
  for (int i = 3; i <= 22 && rest >> field; ++i) {
    if (i == 3) st.state = field[0];
    if (i == 5) st.pgrp = std::atoi(field.c_str());
    if (i == 22) st.start_ticks = std::strtoull(field.c_str(), nullptr, 10);
  }
  return st;
}

void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

}  // namespace

const std::string& CurrentBootId() {
  static const std::string kBootId = [] {
    std::ifstream in("/proc/sys/kernel/random/boot_id");
    std::string id;
    std::getline(in, id);
    return id;
  }();
  return kBootId;
}

bool PosixProcessLauncher::FromThisBoot(const AgentHandle& h) {
  return h.boot_id.empty() || CurrentBootId().empty() || h.boot_id == CurrentBootId();
}

std::optional<uint64_t> ProcessStartTicks(int pid) {
  std::optional<ProcStat> st = ReadProcStat(pid);
  if (!st || st->state == 'Z' || st->state == 'X') return std::nullopt;
  return st->start_ticks;
}

std::vector<int> LiveGroupMembers(int pgid) {
  std::vector<int> out;
  DIR* dir = opendir("/proc");
  if (!dir) return out;
  while (dirent* e = readdir(dir)) {
    int pid = std::atoi(e->d_name);
    if (pid <= 0) continue;
    std::optional<ProcStat> st = ReadProcStat(pid);
    if (st && st->pgrp == pgid && st->state != 'Z' && st->state != 'X') out.push_back(pid);
  }
  closedir(dir);
  return out;
}

Result<AgentHandle> PosixProcessLauncher::Launch(const AgentCommand& cmd,
                                                 const std::string& output_path) {
  if (cmd.argv.empty()) return InvalidArgument("empty argv");
  // Everything the child needs is built before fork: after it only async-signal-safe calls.
  std::vector<char*> argv;
  for (const std::string& a : cmd.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : cmd.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  int out = open(output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) return Internal("open " + output_path + ": " + strerror(errno));
  int null_in = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_in < 0) {
    close(out);
    return Internal(std::string("open /dev/null: ") + strerror(errno));
  }
  const char* cwd = cmd.cwd.empty() ? nullptr : cmd.cwd.c_str();
  // The child reports a failed chdir/exec through this pipe; a successful exec closes it.
  // Waiting for that also means the child has called setsid() before Launch returns, so an
  // immediate StopGroup() cannot miss it.
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    close(out);
    close(null_in);
    return Internal(std::string("pipe: ") + strerror(errno));
  }

  pid_t pid = fork();
  if (pid < 0) {
    close(out);
    close(null_in);
    close(report[0]);
    close(report[1]);
    return Internal(std::string("fork: ") + strerror(errno));
  }
  if (pid == 0) {
    setsid();
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    dup2(null_in, 0);
    dup2(out, 1);
    dup2(out, 2);
    int err = 0;
    if (cwd && chdir(cwd) != 0) {
      err = errno;
    } else {
      execvpe(argv[0], argv.data(), envp.data());
      err = errno;
    }
    (void)!write(report[1], &err, sizeof(err));
    _exit(127);
  }
  close(out);
  close(null_in);
  close(report[1]);
  int child_errno = 0;
  ssize_t got;
  do {
    got = read(report[0], &child_errno, sizeof(child_errno));
  } while (got < 0 && errno == EINTR);
  close(report[0]);
  if (got == static_cast<ssize_t>(sizeof(child_errno))) {
    waitpid(pid, nullptr, 0);
    return Unavailable("cannot start " + cmd.argv[0] + ": " + strerror(child_errno));
  }
  AgentHandle h;
  h.pid = pid;
  h.start_ticks = ProcessStartTicks(pid).value_or(0);
  h.boot_id = CurrentBootId();
  h.output_path = output_path;
  return h;
}

bool PosixProcessLauncher::Adopt(const AgentHandle& h) {
  if (h.pid <= 0 || !FromThisBoot(h)) return false;
  std::optional<uint64_t> ticks = ProcessStartTicks(h.pid);
  return ticks && (h.start_ticks == 0 || *ticks == h.start_ticks);
}

PollResult PosixProcessLauncher::Poll(AgentHandle& h) {
  PollResult r;
  int status = 0;
  pid_t got = waitpid(h.pid, &status, WNOHANG);
  if (got == h.pid) {
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
  }
  if (got == 0) {
    r.running = true;
    return r;
  }
  // Not our child (adopted after a supervisor restart): alive and the same process?
  r.running = Adopt(h);
  return r;
}

std::vector<std::string> PosixProcessLauncher::ReadLines(AgentHandle& h, bool flush) {
  std::vector<std::string> lines;
  int fd = open(h.output_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return lines;
  struct stat st {};
  if (fstat(fd, &st) == 0 && st.st_size < h.offset) h.offset = 0;  // file was replaced
  std::string buf;
  char chunk[65536];
  ssize_t n;
  if (lseek(fd, h.offset, SEEK_SET) >= 0) {
    while ((n = read(fd, chunk, sizeof(chunk))) > 0) buf.append(chunk, static_cast<size_t>(n));
  }
  close(fd);
  size_t start = 0;
  while (true) {
    size_t nl = buf.find('\n', start);
    if (nl == std::string::npos) break;
    lines.push_back(buf.substr(start, nl - start));
    start = nl + 1;
  }
  if (start < buf.size() && (flush || buf.size() - start > kMaxLine)) {
    lines.push_back(buf.substr(start));
    start = buf.size();
  }
  h.offset += static_cast<int64_t>(start);
  return lines;
}

void PosixProcessLauncher::StopGroup(const AgentHandle& h, Seconds grace) {
  if (h.pid <= 0 || !FromThisBoot(h)) return;
  auto reap = [&] {
    int status;
    while (waitpid(h.pid, &status, WNOHANG) > 0) {
    }
  };
  // Empty twice in a row, 20 ms apart: a member caught mid-fork or mid-exit must not make
  // the group look gone for a moment.
  auto wait_empty = [&](std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    int empty_in_a_row = 0;
    while (true) {
      reap();
      empty_in_a_row = LiveGroupMembers(h.pid).empty() ? empty_in_a_row + 1 : 0;
      if (empty_in_a_row >= 2) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      SleepMs(20);
    }
  };
  // A group with no member left is not signalled at all: after a long time its number may
  // belong to someone else.
  if (LiveGroupMembers(h.pid).empty()) {
    reap();
    return;
  }
  kill(-h.pid, SIGTERM);
  wait_empty(std::chrono::duration_cast<std::chrono::milliseconds>(grace));
  // Unconditionally, right after our own SIGTERM (so the number is still this group's):
  // whatever ignored SIGTERM or was missed dies here.
  kill(-h.pid, SIGKILL);
  wait_empty(std::chrono::seconds(5));
}

}  // namespace ccci::supervisor
