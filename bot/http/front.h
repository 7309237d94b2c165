#pragma once
// The HTTP front: an event loop (epoll, non-blocking sockets) that owns every connection.
//
// Why not a thread per connection (Poco's HTTPServer, used before): there, a peer that
// sends one header byte every few seconds, or just stays connected, holds a thread, and a
// few hundred such peers left no thread for Gitea's deliveries. Here a waiting peer costs a
// file descriptor and a few hundred bytes, and no thread waits on a peer:
// - A request is read whole by the loop before any handler sees it: the head within
//   max_head_bytes, the body within max_body_bytes, both within one request_timeout from
//   the request's first byte (not per read). Idle keep-alive connections close after
//   keepalive_timeout. Bodies being read or handled hold at most max_request_memory
//   together; the request whose bytes would pass it is refused with 503.
// - At most max_connections are open and max_connections_per_peer per peer address (an
//   IPv6 /64 counts as one); a new connection over a cap first closes the oldest waiting
//   connection (of that peer, or of all), so whoever holds sockets open the longest loses
//   them, not the newcomer.
// - Complete requests go to one of two worker pools: the priority pool (the webhook
//   intake: /hooks/gitea) and the page pool (everything else), each with its own threads
//   and bounded queue, so pages and live logs can never take the threads Gitea needs.
// - A worker writes the answer itself without blocking; what the socket does not take is
//   written by the loop as the peer reads. A handler may answer later (FrontHandler::Start):
//   then the thread that answers writes it, and no worker waits meanwhile. A streamed body
//   (BodySource) is pulled only when the socket has taken the previous piece, so a peer that
//   does not read costs one piece, and is dropped after write_timeout without progress.
// - Errors the front answers itself (400 for a malformed or smuggling request, 413, 431,
//   408, 503 when a queue is full) are followed by a half-close and a short drain, so the
//   peer reads the answer instead of a reset.
//
// Thread-safety: Start and Stop from one thread; the handler is called from pool threads.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "bot/http/connection.h"
#include "bot/http/connection_table.h"
#include "bot/http/http_message.h"
#include "bot/http/worker_pool.h"

namespace ccci {

struct FrontOptions {
  int max_connections = 1024;
  int max_connections_per_peer = 64;  // 0: no per-peer cap (behind a reverse proxy)
  std::chrono::milliseconds request_timeout{10000};
  std::chrono::milliseconds keepalive_timeout{5000};
  std::chrono::milliseconds write_timeout{30000};
  size_t max_head_bytes = 16 * 1024;
  int64_t max_body_bytes = 1 << 20;
  int64_t max_request_memory = 64 << 20;
  int priority_workers = 4;
  int page_workers = 4;
  size_t max_queued = 1024;  // requests waiting for a worker, per pool
};

// What the front serves requests with.
class FrontHandler {
 public:
  virtual ~FrontHandler() = default;
  // Whether requests for `path` go to the priority pool. Runs on the loop: must be cheap.
  virtual bool IsPriority(std::string_view path) const = 0;
  // Answers a complete request by calling `respond` exactly once: before returning, or later
  // from any thread, so a handler that waits for something (the intake: its commit) need not
  // hold a pool thread meanwhile. Throws only before it has called `respond` or handed it on
  // (the front then answers 500). Runs on a pool thread.
  virtual void Start(HttpRequest& request, Respond respond) = 0;
  // The answer to a request the front refuses (`partial` holds what was read of it), with
  // `status` and a one-line `reason`. Runs on the loop: must be cheap.
  virtual HttpResponse Reject(const HttpRequest& partial, int status,
                              const std::string& reason) = 0;
  // A connection the front dropped without a handler: "evicted" (over a connection cap),
  // "refused" (over a cap with nothing to evict), "busy" (a full queue), "request_timeout",
  // "write_timeout". Runs on the loop: must be cheap.
  virtual void Dropped(const char* /*why*/) {}
};

class Front {
 public:
  Front(FrontOptions options, FrontHandler* handler);
  ~Front();
  Front(const Front&) = delete;
  Front& operator=(const Front&) = delete;

  // Serves connections accepted on `listen_fd` (bound and listening; the front owns it
  // from now on).
  Status Start(int listen_fd);
  // Stops accepting and closes idle connections and live streams at once, lets requests
  // in flight finish for up to `grace`, then closes the rest.
  void Stop(std::chrono::milliseconds grace);

  // Connections open now (for tests and metrics).
  int open_connections() const { return table_.open(); }

 private:
  using TimePoint = FrontClock::time_point;

  // On the loop thread.
  void Run();
  void Accept();
  void OnEvent(Connection* c);
  void OnReadable(Connection* c);
  void Feed(Connection* c, const char* data, size_t n);
  void Dispatch(Connection* c);
  void Refuse(Connection* c, HttpRequest partial, int status, const std::string& reason,
              bool linger);
  void Returned(Connection* c, Turn turn);
  void AfterAnswer(Connection* c);
  void Linger(Connection* c);
  void Expire(Connection* c);
  void Sweep();
  void BeginStop();
  void TrimWhenQuiet();
  int Timeout() const;
  // Waits for `events` in `state` until `deadline`, as the newest waiting connection.
  void WaitFor(Connection* c, ConnState state, TimePoint deadline, uint32_t events);
  // WaitFor without arming: for a connection already armed for what it waits for.
  void Await(Connection* c, ConnState state, TimePoint deadline);
  void Arm(Connection* c, uint32_t events);
  void ToWorker(Connection* c);
  // Closes `victim`, the oldest waiting connection; false when there is none.
  bool Evict(Connection* victim);
  void Close(Connection* c);
  void PauseAccepting(bool pause);

  // On pool threads (Answer and Continue: on whichever thread answers).
  void Work(Connection* c);
  void Answer(Connection* c, HttpResponse response);
  // Writes what the socket takes of the answer, then hands the connection back to the loop.
  void Continue(Connection* c);

  FrontOptions o_;
  FrontHandler* handler_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  char listen_tag_ = 0, wake_tag_ = 0;  // their addresses tell events apart
  std::thread thread_;
  std::unique_ptr<WorkerPool> priority_;
  std::unique_ptr<WorkerPool> pages_;
  std::atomic<bool> stopping_{false};
  std::chrono::milliseconds grace_{0};
  HandBack back_;  // from the workers
  // Requests handed to the handler and not answered yet; Stop waits for them.
  std::atomic<int> answering_{0};
  std::mutex answered_mu_;
  std::condition_variable answered_cv_;

  // Loop thread only.
  ConnectionTable table_;
  std::vector<Connection*> closed_;  // freed after the events of one wait are handled
  TimePoint next_deadline_ = TimePoint::max();
  TimePoint stop_deadline_ = TimePoint::max();
  TimePoint now_;  // when the current wait returned
  TimePoint last_busy_;
  bool stop_begun_ = false;
  bool accept_paused_ = false;
  bool dirty_ = false;  // served something since memory was last given back
  int in_workers_ = 0;
  std::unique_ptr<char[]> buf_;
};

}  // namespace ccci
