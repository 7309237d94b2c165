#include "base/subprocess.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace ccci {
namespace {

using SteadyClock = std::chrono::steady_clock;

void CloseIfOpen(int fd) {
  if (fd >= 0) close(fd);
}

// Everything below runs in the forked child: only async-signal-safe calls. Returns the errno
// of what failed; on success it does not return.
int ExecChild(const SpawnOptions& o, char* const* argv, char* const* envp, int null_fd,
              int pty_slave, int report_fd) {
  if (o.group == ProcessGroup::kNewSession) setsid();
  if (o.group == ProcessGroup::kNewGroup) setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM}) signal(sig, SIG_DFL);
  int in = o.stdin_fd >= 0 ? o.stdin_fd : null_fd;
  int out = o.stdout_fd >= 0 ? o.stdout_fd : null_fd;
  int err = o.stderr_fd >= 0 ? o.stderr_fd : null_fd;
  if (pty_slave >= 0) {
    if (ioctl(pty_slave, TIOCSCTTY, 0) != 0) return errno;
    in = out = err = pty_slave;
  }
  if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) return errno;
  // Close-on-exec for every other descriptor, the report pipe's included (it closes on a
  // successful exec, which is how the parent learns of it).
  if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    if (report_fd > 3) close_range(3, static_cast<unsigned>(report_fd) - 1, 0);
    close_range(static_cast<unsigned>(report_fd) + 1, ~0U, 0);
  }
  if (!o.cwd.empty() && chdir(o.cwd.c_str()) != 0) return errno;
  execvpe(argv[0], argv, envp);
  return errno;
}

}  // namespace

Result<Subprocess> Subprocess::Spawn(const SpawnOptions& o) {
  if (o.argv.empty()) return InvalidArgument("empty argv");
  // Everything the child needs is built before fork.
  std::vector<char*> argv;
  for (const auto& a : o.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env = o.env;
  std::vector<char*> envp;
  for (auto& kv : env) envp.push_back(kv.data());
  envp.push_back(nullptr);
  int master = -1, slave = -1;
  if (o.pty) {
    struct winsize size = {};
    size.ws_row = o.pty_rows;
    size.ws_col = o.pty_columns;
    if (openpty(&master, &slave, nullptr, nullptr, &size) != 0) {
      return Internal(std::string("openpty: ") + strerror(errno));
    }
    fcntl(master, F_SETFD, FD_CLOEXEC);
    fcntl(slave, F_SETFD, FD_CLOEXEC);
  }
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  int report[2] = {-1, -1};
  if (null_fd < 0 || pipe2(report, O_CLOEXEC) != 0) {
    for (int fd : {master, slave, null_fd}) CloseIfOpen(fd);
    return Internal(std::string("cannot prepare a child: ") + strerror(errno));
  }
  pid_t pid = fork();
  if (pid == 0) {
    int e = ExecChild(o, argv.data(), envp.data(), null_fd, slave, report[1]);
    // Nothing else to do in the child: if this write fails the parent reads EOF and still
    // sees the start fail as exit status 127.
    (void)!write(report[1], &e, sizeof e);
    _exit(127);
  }
  int fork_errno = errno;
  for (int fd : {slave, null_fd, report[1]}) CloseIfOpen(fd);
  if (pid < 0) {
    CloseIfOpen(master);
    close(report[0]);
    return Internal(std::string("fork: ") + strerror(fork_errno));
  }
  int child_errno = 0;
  ssize_t got;
  do {
    got = read(report[0], &child_errno, sizeof child_errno);
  } while (got < 0 && errno == EINTR);
  close(report[0]);
  if (got == static_cast<ssize_t>(sizeof child_errno)) {
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    CloseIfOpen(master);
    return Status(child_errno == ENOENT ? Code::kNotFound : Code::kInternal,
                  "cannot start " + o.argv[0] + ": " + strerror(child_errno));
  }
  return Subprocess(pid, master);
}

Subprocess::Subprocess(Subprocess&& other) noexcept
    : pid_(other.pid_), pty_(other.pty_), status_(other.status_) {
  other.pid_ = 0;
  other.pty_ = -1;
}

Subprocess& Subprocess::operator=(Subprocess&& other) noexcept {
  if (this != &other) {
    CloseIfOpen(pty_);
    pid_ = other.pid_;
    pty_ = other.pty_;
    status_ = other.status_;
    other.pid_ = 0;
    other.pty_ = -1;
  }
  return *this;
}

Subprocess::~Subprocess() { CloseIfOpen(pty_); }

std::optional<int> Subprocess::TryWait() {
  if (status_ || pid_ <= 0) return status_;
  int status = 0;
  pid_t got = waitpid(pid_, &status, WNOHANG);
  if (got == pid_)
    status_ = status;
  else if (got < 0 && errno == ECHILD)
    status_ = 0;  // reaped elsewhere: nothing to tell
  return status_;
}

int Subprocess::Wait() {
  if (status_ || pid_ <= 0) return status_.value_or(0);
  int status = 0;
  pid_t got;
  do {
    got = waitpid(pid_, &status, 0);
  } while (got < 0 && errno == EINTR);
  status_ = got == pid_ ? status : 0;
  return *status_;
}

std::optional<int> Subprocess::WaitFor(std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  auto pause = std::chrono::microseconds(500);
  while (!TryWait() && SteadyClock::now() < deadline) {
    // A process has no descriptor to wait on here: look again soon, then less often.
    std::this_thread::sleep_for(pause);
    pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(20));
  }
  return status_;
}

bool GroupExists(pid_t pgid) { return pgid > 0 && kill(-pgid, 0) == 0; }

bool GroupAlive(pid_t pgid) {
  if (!GroupExists(pgid)) return false;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream f(entry.path() / "stat");
    std::string stat;
    if (!std::getline(f, stat)) continue;  // gone meanwhile
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parens.
    size_t paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream rest(stat.substr(paren + 1));
    char state = 0;
    long ppid = 0, pgrp = 0;
    if (!(rest >> state >> ppid >> pgrp)) continue;
    if (pgrp == pgid && state != 'Z' && state != 'X') return true;
  }
  return false;
}

void SignalGroup(pid_t pgid, int sig) {
  if (pgid > 0) kill(-pgid, sig);
}

bool TerminateGroup(pid_t pgid, std::chrono::milliseconds grace,
                    std::chrono::milliseconds kill_wait, const std::function<bool()>& gone,
                    std::chrono::milliseconds poll) {
  auto is_gone = [&] { return gone ? gone() : !GroupExists(pgid); };
  auto wait_gone = [&](std::chrono::milliseconds limit) {
    const auto deadline = SteadyClock::now() + limit;
    while (true) {
      if (is_gone()) return true;
      if (SteadyClock::now() >= deadline) return false;
      std::this_thread::sleep_for(poll);
    }
  };
  SignalGroup(pgid, SIGTERM);
  wait_gone(grace);
  // Unconditionally, right after our own SIGTERM (so the number is still this group's).
  SignalGroup(pgid, SIGKILL);
  return wait_gone(kill_wait);
}

}  // namespace ccci
