#pragma once
// A background thread that calls a function every `period`, and at once when kicked.
// Stop() (also run by the destructor) wakes it and waits for the call in progress.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "base/thread_name.h"
#include "base/thread_nice.h"

namespace ccci {

class PeriodicWorker {
 public:
  // The nice value (added to the process's) of the threads of workers started from now on.
  // The server sets it once at startup so that background work (reports, the outbox,
  // commands) yields the CPU to request threads during a burst of webhooks, and catches up
  // after it; with 0 (the default) the threads run like any other.
  static void SetBackgroundNice(int nice) { Background().nice = nice; }
  // How long workers started from now on let kicks gather before a pass: kicks that come
  // within `settle` of the first cause one pass, not one each. Set once at startup by the
  // server: a burst of webhooks kicks the reporter once per delivery, and a pass that comes
  // a little later finds most queued runs already held or superseded (one report, not three).
  static void SetBackgroundSettle(std::chrono::milliseconds settle) {
    Background().settle_ms = settle.count();
  }

  // `name`: the thread's (NameThisThread), e.g. "reporter".
  PeriodicWorker(std::chrono::milliseconds period, std::function<void()> fn,
                 std::string name = "background")
      : period_(period), fn_(std::move(fn)), name_(std::move(name)) {}
  ~PeriodicWorker() { Stop(); }
  PeriodicWorker(const PeriodicWorker&) = delete;
  PeriodicWorker& operator=(const PeriodicWorker&) = delete;

  void Start() {
    thread_ = std::thread([this, nice = Background().nice.load(),
                           settle = std::chrono::milliseconds(Background().settle_ms.load())] {
      NameThisThread(name_);
      // Safe to drop a failure: the nice value is a courtesy to the request path, and the
      // worker runs either way.
      (void)AddThreadNice(nice);
      std::unique_lock<std::mutex> lock(mu_);
      while (!stop_) {
        cv_.wait_for(lock, period_, [&] { return stop_ || kicked_; });
        if (stop_) break;
        if (kicked_ && settle.count() > 0) cv_.wait_for(lock, settle, [&] { return stop_; });
        if (stop_) break;
        kicked_ = false;
        lock.unlock();
        fn_();
        lock.lock();
      }
    });
  }
  void Kick() {
    bool pending;
    {
      std::lock_guard<std::mutex> lock(mu_);
      pending = kicked_;
      kicked_ = true;
    }
    // A kick already pending has woken the thread (or is seen before it waits again): a burst
    // of kicks, one per delivery, does not wake it once each while it settles.
    if (!pending) cv_.notify_one();
  }
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  struct Policy {
    std::atomic<int> nice{0};
    std::atomic<int64_t> settle_ms{0};
  };
  static Policy& Background() {
    static Policy policy;
    return policy;
  }

  std::chrono::milliseconds period_;
  std::function<void()> fn_;
  std::string name_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool kicked_ = false;
  std::thread thread_;
};

}  // namespace ccci
