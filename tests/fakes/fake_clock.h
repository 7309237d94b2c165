#pragma once
// A Clock that only moves when a test says so. Thread-safe.

#include <chrono>
#include <mutex>

#include "base/clock.h"

namespace ccci::testing {

class FakeClock : public Clock {
 public:
  explicit FakeClock(std::chrono::system_clock::time_point start =
                         std::chrono::system_clock::time_point(std::chrono::seconds(1784538843)))
      : wall_(start) {}

  std::chrono::system_clock::time_point Now() override {
    std::lock_guard<std::mutex> lock(mu_);
    return wall_;
  }
  std::chrono::steady_clock::time_point SteadyNow() override {
    std::lock_guard<std::mutex> lock(mu_);
    return steady_;
  }
  void Advance(std::chrono::milliseconds d) {
    std::lock_guard<std::mutex> lock(mu_);
    wall_ += d;
    steady_ += d;
  }

 private:
  std::mutex mu_;
  std::chrono::system_clock::time_point wall_;
  std::chrono::steady_clock::time_point steady_{std::chrono::hours(1)};
};

}  // namespace ccci::testing
