#include "bot/http/worker_pool.h"

#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/thread_name.h"

namespace ccci {

WorkerPool::WorkerPool(int threads, size_t max_queued, std::function<void(Connection*)> work,
                       std::string name)
    : max_queued_(max_queued), work_(std::move(work)) {
  for (int i = 0; i < threads; ++i) {
    threads_.push_back(NamedThread(name + "-" + std::to_string(i), [this] { Run(); }));
  }
}

WorkerPool::~WorkerPool() { Stop(); }

bool WorkerPool::Submit(Connection* c) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || queue_.size() >= max_queued_) return false;
    queue_.push_back(c);
    wake = idle_ > 0;
  }
  if (wake) cv_.notify_one();
  return true;
}

std::vector<Connection*> WorkerPool::Stop() {
  std::vector<Connection*> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    left.assign(queue_.begin(), queue_.end());
    queue_.clear();
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  return left;
}

void WorkerPool::Run() {
  // SCHED_BATCH: a worker the loop wakes does not preempt it (nor the committer that answers),
  // so the loop goes on reading and dispatching, and the worker runs when a core is free. Two
  // cores, wrk -c32, interleaved 5 s runs, three each: memory 13,089-13,333 ->
  // 13,422-14,080/s, SQLite 11,031-11,441 -> 11,469-11,757/s, 4% less CPU per delivery.
  // Unprivileged (priority 0); if refused, the worker runs as before.
  sched_param normal{};
  (void)pthread_setschedparam(pthread_self(), SCHED_BATCH, &normal);
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    while (queue_.empty() && !stopping_) {
      ++idle_;
      cv_.wait(lock);
      --idle_;
    }
    if (stopping_) return;
    Connection* c = queue_.front();
    queue_.pop_front();
    lock.unlock();
    work_(c);
    lock.lock();
  }
}

HandBack::HandBack() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

HandBack::~HandBack() { close(fd_); }

void HandBack::Push(Connection* c, Turn turn, bool wake) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    back_.emplace_back(c, turn);
    any_ = true;
  }
  if (wake) Wake();
}

void HandBack::Wake() {
  uint64_t one = 1;
  // Safe to drop: the nonblocking eventfd write fails only when its counter is full, and then
  // the reactor is already woken.
  (void)!write(fd_, &one, sizeof(one));
}

std::vector<std::pair<Connection*, Turn>> HandBack::Take() {
  std::vector<std::pair<Connection*, Turn>> out;
  if (!any_.load()) return out;
  std::lock_guard<std::mutex> lock(mu_);
  out.swap(back_);
  any_ = false;
  return out;
}

void HandBack::ClearWake() {
  uint64_t count;
  // Safe to drop: the nonblocking read fails only with EAGAIN, when there is nothing to clear.
  (void)!read(fd_, &count, sizeof(count));
}

}  // namespace ccci
