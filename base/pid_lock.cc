#include "base/pid_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace ccci {

Result<std::unique_ptr<PidLock>> PidLock::Acquire(const std::string& path,
                                                  const std::string& what) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Internal("open " + path + ": " + strerror(errno));
  // A `status` probing Holder() holds a shared lock for a moment: retry briefly so that
  // does not look like a second watchdog.
  bool locked = false;
  for (int attempt = 0; attempt < 10 && !locked; ++attempt) {
    locked = flock(fd, LOCK_EX | LOCK_NB) == 0;
    if (!locked) usleep(20000);
  }
  if (!locked) {
    close(fd);
    std::optional<int> holder = Holder(path);
    return FailedPrecondition("another " + what + " is running (pid " +
                              std::to_string(holder.value_or(0)) + ")");
  }
  std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    close(fd);
    return Internal("cannot write " + path);
  }
  return std::unique_ptr<PidLock>(new PidLock(fd));
}

std::optional<int> PidLock::Holder(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  // A shared lock succeeds only when nobody holds the exclusive one.
  if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
    flock(fd, LOCK_UN);
    close(fd);
    return std::nullopt;
  }
  char buf[32] = {};
  ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
  close(fd);
  int pid = n > 0 ? std::atoi(buf) : 0;
  return pid;
}

PidLock::~PidLock() { close(fd_); }

}  // namespace ccci
