#pragma once
// A flood of requests for a test: `threads` threads each calling `send(n)` with the next
// number (1, 2, 3, ... across all threads) until Stop().

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

namespace ccci::testing {

class Flood {
 public:
  Flood(int threads, std::function<void(int)> send) : send_(std::move(send)) {
    for (int t = 0; t < threads; ++t) {
      threads_.emplace_back([this] {
        while (!stop_) send_(next_++);
      });
    }
  }
  ~Flood() { Stop(); }
  Flood(const Flood&) = delete;
  Flood& operator=(const Flood&) = delete;

  // Returns once every thread has finished its request in flight.
  void Stop() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  std::function<void(int)> send_;
  std::atomic<bool> stop_{false};
  std::atomic<int> next_{1};
  std::vector<std::thread> threads_;
};

}  // namespace ccci::testing
