#pragma once
// A fixed set of threads serving connections from a bounded queue: the front keeps one for
// the webhook intake and one for everything else, so pages can never take the threads that
// answer Gitea.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bot/http/connection.h"

namespace ccci {

class WorkerPool {
 public:
  // `work` runs on a pool thread for each submitted connection.
  WorkerPool(int threads, size_t max_queued, std::function<void(Connection*)> work,
             std::string name);
  ~WorkerPool();

  // Queues `c`; false when `max_queued` connections already wait.
  bool Submit(Connection* c);
  // Lets the turns in progress finish, stops the threads and returns the connections that
  // were still queued (never started).
  std::vector<Connection*> Stop();

 private:
  void Run();

  size_t max_queued_;
  std::function<void(Connection*)> work_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Connection*> queue_;
  int idle_ = 0;  // threads waiting on cv_: a submit wakes one only when there is one
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// Connections workers are done with, for the event loop, which takes them each time it
// wakes. A push that needs the loop now (not merely before the connection's next event)
// signals an eventfd the loop waits on.
class HandBack {
 public:
  HandBack();
  ~HandBack();
  HandBack(const HandBack&) = delete;
  HandBack& operator=(const HandBack&) = delete;

  int fd() const { return fd_; }  // readable after a waking push or Wake()
  void Push(Connection* c, Turn turn, bool wake);
  void Wake();
  // Takes what was pushed; cheap when nothing was.
  std::vector<std::pair<Connection*, Turn>> Take();
  // Resets the eventfd after it woke the loop.
  void ClearWake();

 private:
  int fd_;
  std::atomic<bool> any_{false};
  std::mutex mu_;
  std::vector<std::pair<Connection*, Turn>> back_;
};

}  // namespace ccci
