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

#include "base/subprocess.h"

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
  SpawnOptions options;
  options.argv = cmd.argv;
  for (const auto& [k, v] : cmd.env) options.env.push_back(k + "=" + v);
  options.cwd = cmd.cwd;
  int out = open(output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) return Internal("open " + output_path + ": " + strerror(errno));
  options.stdout_fd = out;
  options.stderr_fd = out;
  // Spawn returns once the child has exec'd, so it has called setsid() before Launch
  // returns and an immediate StopGroup() cannot miss it.
  auto child = Subprocess::Spawn(options);
  close(out);
  if (!child.ok()) {
    if (child.status().message().rfind("cannot start ", 0) == 0) {
      return Unavailable(child.status().message());
    }
    return child.status();
  }
  AgentHandle h;
  h.pid = child->pid();
  h.start_ticks = ProcessStartTicks(h.pid).value_or(0);
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
  // A group with no member left is not signalled at all: after a long time its number may
  // belong to someone else.
  if (LiveGroupMembers(h.pid).empty()) {
    reap();
    return;
  }
  // Empty twice in a row, 20 ms apart: a member caught mid-fork or mid-exit must not make
  // the group look gone for a moment. Zombies do not count (an adopted agent's are init's).
  int empty_in_a_row = 0;
  auto gone = [&] {
    reap();
    empty_in_a_row = LiveGroupMembers(h.pid).empty() ? empty_in_a_row + 1 : 0;
    return empty_in_a_row >= 2;
  };
  TerminateGroup(h.pid, std::chrono::duration_cast<std::chrono::milliseconds>(grace),
                 std::chrono::seconds(5), gone, std::chrono::milliseconds(20));
}

}  // namespace ccci::supervisor
