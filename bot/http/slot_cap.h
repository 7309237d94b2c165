#pragma once
// A cap on things served at once (live log streams, log pages being rendered): a slot is
// taken before and given back after. Thread-safe, lock-free.

#include <atomic>

namespace ccci {

class SlotCap {
 public:
  explicit SlotCap(int max) : max_(max) {}

  // Takes a slot; false when `max` are taken. A true return must be paired with Release().
  bool TryAcquire() {
    int n = open_.load();
    while (n < max_) {
      if (open_.compare_exchange_weak(n, n + 1)) return true;
    }
    return false;
  }
  void Release() { open_.fetch_sub(1); }
  int open() const { return open_.load(); }
  int max() const { return max_; }

 private:
  int max_;
  std::atomic<int> open_{0};
};

// Holds one slot of a SlotCap for its lifetime.
class Slot {
 public:
  explicit Slot(SlotCap* cap) : cap_(cap) {}
  ~Slot() { cap_->Release(); }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

 private:
  SlotCap* cap_;
};

}  // namespace ccci
