#include "base/thread_nice.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace ccci {

int ThreadNice() {
  errno = 0;  // getpriority may return -1 as a value: errno tells an error from it
  int nice = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  return errno == 0 ? nice : 0;
}

Status AddThreadNice(int delta) {
  if (delta == 0) return Status::Ok();
  int want = ThreadNice() + delta;
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), want) == 0) return Status::Ok();
  int err = errno;
  std::string m = "nice " + std::to_string(want) + " refused: " + strerror(err);
  if (err == EACCES || err == EPERM) {
    m += " (raising a thread's priority needs CAP_SYS_NICE, or an RLIMIT_NICE that allows it: "
         "systemd LimitNICE=" + std::to_string(want) + ")";
  }
  return {Code::kPermissionDenied, m};
}

}  // namespace ccci
