#pragma once
// Waiting in a test for something that another process or thread makes true without telling
// the test: a file appears, a run changes state behind the server's HTTP API, a process
// exits, memory goes back to the system. WaitUntil looks at the condition again every
// `interval` until it holds or `limit` passes. State that can notify (a condition variable)
// should be waited on directly, and time that code reads from a Clock moved with FakeClock.

#include <chrono>
#include <functional>
#include <thread>

namespace ccci::testing {

// True once `cond` held; false when `limit` passed first (`cond` is asked once more then).
inline bool WaitUntil(const std::function<bool()>& cond,
                      std::chrono::milliseconds limit = std::chrono::seconds(30),
                      std::chrono::milliseconds interval = std::chrono::milliseconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    // A sleep: what is awaited happens in another process (or a thread with no signal to
    // give), so there is nothing to block on.
    std::this_thread::sleep_for(interval);
  }
  return cond();
}

}  // namespace ccci::testing
