#pragma once
// Names the calling thread as `top -H`, `ps -L`, perf, gdb and /proc/PID/task/TID/comm show
// it, so an operator can tell which of the server's threads is busy. Linux keeps 15 bytes of
// a name: a longer one is cut there. Best effort: a thread that cannot be named runs as
// before.

#include <pthread.h>

#include <string>
#include <thread>
#include <utility>

namespace ccci {

inline void NameThisThread(const std::string& name) {
  (void)pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

// A thread that names itself `name` (NameThisThread), then runs `fn`.
template <typename Fn>
std::thread NamedThread(std::string name, Fn&& fn) {
  return std::thread([name = std::move(name), fn = std::forward<Fn>(fn)]() mutable {
    NameThisThread(name);
    fn();
  });
}

}  // namespace ccci
