#include "bot/http/front.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/log.h"
#include "bot/http/connection.h"
#include "bot/http/worker_pool.h"

namespace ccci {

struct PeerEntry {
  int count = 0;
  Connection* head = nullptr;  // its waiting connections, oldest first
  Connection* tail = nullptr;
};

namespace {

using std::chrono::milliseconds;

constexpr size_t kReadBytes = 64 * 1024;
constexpr size_t kTurnBytes = 1 << 20;  // body bytes one worker turn may pull
constexpr milliseconds kLinger{2000};   // after an answer with close: drain this long
constexpr size_t kLingerBytes = 16 << 20;
constexpr milliseconds kQuietBeforeTrim{2000};
constexpr int kMaxEvents = 256;
constexpr int kAcceptBatch = 64;
constexpr uint32_t kIn = EPOLLIN | EPOLLRDHUP;
constexpr uint32_t kOut = EPOLLOUT;

std::string PeerText(const sockaddr_storage& addr) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (addr.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&addr)->sin_addr, buf, sizeof(buf));
  } else if (addr.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_addr, buf,
              sizeof(buf));
  }
  return buf;
}

}  // namespace

class Front::Loop {
 public:
  Loop(FrontOptions options, FrontHandler* handler) : o_(options), handler_(handler) {}

  Status Start(int listen_fd);
  void Stop(milliseconds grace);
  int open() const { return open_.load(); }

 private:
  // On the loop thread.
  void Run();
  void Accept(FrontClock::time_point now);
  void OnEvent(Connection* c, FrontClock::time_point now);
  void OnReadable(Connection* c, FrontClock::time_point now);
  void Feed(Connection* c, const char* data, size_t n, FrontClock::time_point now);
  void Dispatch(Connection* c);
  void Refuse(Connection* c, HttpRequest partial, int status, const std::string& reason,
              bool linger, FrontClock::time_point now);
  void Returned(Connection* c, Turn turn, FrontClock::time_point now);
  void AfterAnswer(Connection* c, FrontClock::time_point now);
  void Linger(Connection* c, FrontClock::time_point now);
  void Expire(Connection* c, FrontClock::time_point now);
  void Sweep(FrontClock::time_point now);
  void BeginStop(FrontClock::time_point now);
  void TrimWhenQuiet(FrontClock::time_point now);
  int Timeout(FrontClock::time_point now) const;
  // Waits for `events` in `state` until `deadline`, as the newest waiting connection.
  void WaitFor(Connection* c, ConnState state, FrontClock::time_point deadline, uint32_t events);
  void Arm(Connection* c, uint32_t events);
  void ToWorker(Connection* c, FrontClock::time_point now);
  bool EvictOldest(PeerEntry* peer);
  void Close(Connection* c);
  void PauseAccepting(bool pause);
  void Link(Connection* c);
  void Unlink(Connection* c);

  // On pool threads.
  void Work(Connection* c);
  void GiveBack(Connection* c, Turn turn);

  FrontOptions o_;
  FrontHandler* handler_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  char listen_tag_ = 0, wake_tag_ = 0;  // their addresses tell events apart
  std::thread thread_;
  std::unique_ptr<WorkerPool> priority_;
  std::unique_ptr<WorkerPool> pages_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> open_{0};
  milliseconds grace_{0};

  // Loop thread only.
  std::unordered_map<PeerKey, PeerEntry, PeerKeyHash> peers_;
  Connection* head_ = nullptr;  // waiting connections (owned by the loop), oldest first
  Connection* tail_ = nullptr;
  std::unordered_set<Connection*> all_;
  std::vector<Connection*> closed_;  // freed after the events of one wait are handled
  FrontClock::time_point next_deadline_ = FrontClock::time_point::max();
  FrontClock::time_point stop_deadline_ = FrontClock::time_point::max();
  FrontClock::time_point last_busy_;
  bool stop_begun_ = false;
  bool accept_paused_ = false;
  bool dirty_ = false;  // served something since memory was last given back
  int in_workers_ = 0;
  std::unique_ptr<char[]> buf_ = std::make_unique<char[]>(kReadBytes);

  std::mutex back_mu_;
  std::vector<std::pair<Connection*, Turn>> back_;  // handed back by workers
};

Status Front::Loop::Start(int listen_fd) {
  listen_fd_ = listen_fd;
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) return Unavailable(std::string("epoll: ") + strerror(errno));
  int flags = fcntl(listen_fd_, F_GETFL);
  fcntl(listen_fd_, F_SETFL, flags | O_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &listen_tag_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  ev.data.ptr = &wake_tag_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  auto work = [this](Connection* c) { Work(c); };
  priority_ = std::make_unique<WorkerPool>(o_.priority_workers, o_.max_queued, work);
  pages_ = std::make_unique<WorkerPool>(o_.page_workers, o_.max_queued, work);
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void Front::Loop::Stop(milliseconds grace) {
  if (!thread_.joinable()) return;
  grace_ = grace;
  stopping_ = true;
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  thread_.join();
  // Single-threaded once the pools are joined; connections they never started are in all_.
  priority_->Stop();
  pages_->Stop();
  for (Connection* c : all_) {
    if (c->fd >= 0) close(c->fd);
    delete c;
  }
  all_.clear();
  for (Connection* c : closed_) delete c;
  closed_.clear();
  open_ = 0;
  if (listen_fd_ >= 0) close(listen_fd_);
  close(epoll_fd_);
  close(wake_fd_);
}

void Front::Loop::Run() {
  epoll_event events[kMaxEvents];
  for (;;) {
    int n = epoll_wait(epoll_fd_, events, kMaxEvents, Timeout(FrontClock::now()));
    auto now = FrontClock::now();
    for (int i = 0; i < n; ++i) {
      void* tag = events[i].data.ptr;
      if (tag == &listen_tag_) {
        Accept(now);
      } else if (tag == &wake_tag_) {
        uint64_t count;
        (void)!read(wake_fd_, &count, sizeof(count));
        std::vector<std::pair<Connection*, Turn>> back;
        {
          std::lock_guard<std::mutex> lock(back_mu_);
          back.swap(back_);
        }
        for (auto [c, turn] : back) Returned(c, turn, now);
      } else {
        OnEvent(static_cast<Connection*>(tag), now);
      }
    }
    if (now >= next_deadline_) Sweep(now);
    for (Connection* c : closed_) delete c;
    closed_.clear();
    if (stopping_) {
      if (!stop_begun_) BeginStop(now);
      if (all_.empty() || now >= stop_deadline_) return;
    } else {
      TrimWhenQuiet(now);
    }
  }
}

int Front::Loop::Timeout(FrontClock::time_point now) const {
  auto until = std::min(next_deadline_, stop_deadline_);
  if (dirty_) until = std::min(until, last_busy_ + kQuietBeforeTrim);
  if (until == FrontClock::time_point::max()) return -1;
  auto ms = std::chrono::ceil<milliseconds>(until - now).count();
  return static_cast<int>(std::clamp<int64_t>(ms, 0, 60000));
}

void Front::Loop::Accept(FrontClock::time_point now) {
  for (int i = 0; i < kAcceptBatch; ++i) {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) {
        // Out of descriptors: make room by closing the oldest waiting connection, or stop
        // accepting until a connection closes (the listener would wake the loop at once).
        if (EvictOldest(nullptr)) continue;
        PauseAccepting(true);
      }
      return;
    }
    PeerKey key = PeerKey::Of(addr);
    auto it = peers_.find(key);
    bool room = true;
    if (o_.max_connections_per_peer > 0 && it != peers_.end() &&
        it->second.count >= o_.max_connections_per_peer) {
      room = EvictOldest(&it->second);
    }
    if (room && open_.load() >= o_.max_connections) room = EvictOldest(nullptr);
    if (!room) {  // every connection is being answered: no one to make room
      handler_->Dropped("refused");
      close(fd);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    auto* c = new Connection(fd, {o_.max_head_bytes, 100, o_.max_body_bytes});
    c->peer = key;
    c->peer_text = PeerText(addr);
    c->peer_entry = &peers_[key];
    c->peer_entry->count++;
    open_++;
    all_.insert(c);
    epoll_event ev{};
    ev.events = kIn | EPOLLONESHOT;
    ev.data.ptr = c;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    c->state = ConnState::kReading;
    c->deadline = now + o_.request_timeout;
    next_deadline_ = std::min(next_deadline_, c->deadline);
    Link(c);
  }
}

void Front::Loop::OnEvent(Connection* c, FrontClock::time_point now) {
  if (c->fd < 0) return;  // closed earlier in this batch
  switch (c->state) {
    case ConnState::kReading:
      OnReadable(c, now);
      return;
    case ConnState::kWriting: {
      size_t before = c->out_pos;
      Turn t = c->Flush();
      if (t == Turn::kBroken) return Close(c);
      if (t == Turn::kBlocked) {
        // Progress renews the write deadline and makes it young again; a peer that reads
        // nothing keeps ageing towards eviction.
        if (c->out_pos != before) return WaitFor(c, ConnState::kWriting, now + o_.write_timeout, kOut);
        return Arm(c, kOut);
      }
      if (c->body_done) return AfterAnswer(c, now);
      return ToWorker(c, now);
    }
    case ConnState::kWaiting:
      // A live stream's peer sent something or went away: the stream ends.
      return Close(c);
    case ConnState::kLingering: {
      for (;;) {
        ssize_t n = recv(c->fd, buf_.get(), kReadBytes, 0);
        if (n > 0 && c->lingered + static_cast<size_t>(n) < kLingerBytes) {
          c->lingered += static_cast<size_t>(n);
          continue;
        }
        if (n < 0 && errno == EAGAIN) return Arm(c, kIn);
        return Close(c);
      }
    }
    case ConnState::kInWorker:
      return;
  }
}

void Front::Loop::OnReadable(Connection* c, FrontClock::time_point now) {
  ssize_t n = recv(c->fd, buf_.get(), kReadBytes, 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return Arm(c, kIn);
  if (n <= 0) return Close(c);  // the peer left; half a request gets no answer
  Feed(c, buf_.get(), static_cast<size_t>(n), now);
}

void Front::Loop::Feed(Connection* c, const char* data, size_t n, FrontClock::time_point now) {
  bool was_idle = c->reader.state() == RequestReader::State::kIdle;
  size_t used = c->reader.Feed(data, n);
  switch (c->reader.state()) {
    case RequestReader::State::kComplete:
      c->leftover.append(data + used, n - used);
      return Dispatch(c);
    case RequestReader::State::kError:
      return Refuse(c, c->reader.partial(), c->reader.error_status(), c->reader.error_reason(),
                    true, now);
    case RequestReader::State::kReading:
      if (c->reader.TakeContinue()) {  // the peer waits for this before it sends the body
        static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
        (void)!send(c->fd, kContinue, sizeof(kContinue) - 1, MSG_NOSIGNAL);
      }
      if (was_idle) {  // a request began: it has request_timeout to arrive whole
        return WaitFor(c, ConnState::kReading, now + o_.request_timeout, kIn);
      }
      return Arm(c, kIn);
    case RequestReader::State::kIdle:
      return Arm(c, kIn);
  }
}

void Front::Loop::Dispatch(Connection* c) {
  c->keep_alive = c->reader.keep_alive();
  c->request = c->reader.Take();
  c->request.peer = c->peer_text;
  c->priority = handler_->IsPriority(c->request.path());
  Unlink(c);
  c->state = ConnState::kInWorker;
  in_workers_++;
  dirty_ = true;
  last_busy_ = FrontClock::now();
  if ((c->priority ? priority_ : pages_)->Submit(c)) return;
  in_workers_--;
  handler_->Dropped("busy");
  HttpRequest req = std::move(c->request);
  Refuse(c, std::move(req), 503, "busy: too many requests waiting; retry later", true,
         FrontClock::now());
}

void Front::Loop::Refuse(Connection* c, HttpRequest partial, int status,
                         const std::string& reason, bool linger, FrontClock::time_point now) {
  HttpResponse r = handler_->Reject(partial, status, reason);
  r.close = true;
  c->request = std::move(partial);
  c->BeginAnswer(std::move(r), false);
  Turn t = c->Flush();
  if (t == Turn::kBroken || (t == Turn::kBlocked && !linger)) return Close(c);
  if (t == Turn::kBlocked) return WaitFor(c, ConnState::kWriting, now + o_.write_timeout, kOut);
  if (!linger) return Close(c);
  AfterAnswer(c, now);
}

void Front::Loop::Returned(Connection* c, Turn turn, FrontClock::time_point now) {
  in_workers_--;
  last_busy_ = now;
  switch (turn) {
    case Turn::kAnswered:
      return AfterAnswer(c, now);
    case Turn::kBlocked:
      return WaitFor(c, ConnState::kWriting, now + o_.write_timeout, kOut);
    case Turn::kWait:
      if (stopping_) return Close(c);  // live streams end with the server
      return WaitFor(c, ConnState::kWaiting, now + c->wait, kIn);
    case Turn::kBroken:
      return Close(c);
  }
}

void Front::Loop::AfterAnswer(Connection* c, FrontClock::time_point now) {
  if (stopping_) return Close(c);
  if (!c->keep_alive) return Linger(c, now);
  c->EndAnswer();
  WaitFor(c, ConnState::kReading, now + o_.keepalive_timeout, kIn);
  if (!c->leftover.empty()) {  // a pipelined request is already here
    std::string data = std::move(c->leftover);
    c->leftover.clear();
    Feed(c, data.data(), data.size(), now);
  }
}

void Front::Loop::Linger(Connection* c, FrontClock::time_point now) {
  c->EndAnswer();
  c->leftover.clear();
  shutdown(c->fd, SHUT_WR);
  c->lingered = 0;
  WaitFor(c, ConnState::kLingering, now + kLinger, kIn);
}

void Front::Loop::ToWorker(Connection* c, FrontClock::time_point now) {
  Unlink(c);
  c->state = ConnState::kInWorker;
  in_workers_++;
  if (pages_->Submit(c)) return;
  in_workers_--;
  c->state = ConnState::kWriting;
  handler_->Dropped("busy");
  Close(c);
  (void)now;
}

void Front::Loop::Expire(Connection* c, FrontClock::time_point now) {
  switch (c->state) {
    case ConnState::kReading:
      if (c->reader.state() == RequestReader::State::kIdle) return Close(c);
      handler_->Dropped("request_timeout");
      return Refuse(c, c->reader.partial(), 408,
                    "request timeout: a request must arrive whole within " +
                        std::to_string(o_.request_timeout.count() / 1000) + "s",
                    false, now);
    case ConnState::kWriting:
      handler_->Dropped("write_timeout");
      return Close(c);
    case ConnState::kWaiting:
      return ToWorker(c, now);
    case ConnState::kLingering:
    case ConnState::kInWorker:
      return Close(c);
  }
}

void Front::Loop::Sweep(FrontClock::time_point now) {
  next_deadline_ = FrontClock::time_point::max();
  for (Connection* c = head_; c != nullptr;) {
    Connection* next = c->next;
    if (c->deadline <= now) {
      Expire(c, now);
    } else {
      next_deadline_ = std::min(next_deadline_, c->deadline);
    }
    c = next;
  }
}

void Front::Loop::BeginStop(FrontClock::time_point now) {
  stop_begun_ = true;
  stop_deadline_ = now + grace_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
  close(listen_fd_);
  listen_fd_ = -1;
  for (Connection* c = head_; c != nullptr;) {
    Connection* next = c->next;
    if (c->state != ConnState::kWriting) Close(c);  // answers being written may finish
    c = next;
  }
}

void Front::Loop::TrimWhenQuiet(FrontClock::time_point now) {
  // A burst of big answers leaves freed memory in the allocator's arenas (the raised trim
  // threshold of serve_command.cc keeps it there for speed); once quiet, give it back.
  if (!dirty_ || in_workers_ > 0 || now - last_busy_ < kQuietBeforeTrim) return;
  dirty_ = false;
  malloc_trim(0);
}

void Front::Loop::WaitFor(Connection* c, ConnState state, FrontClock::time_point deadline,
                          uint32_t events) {
  c->state = state;
  c->deadline = deadline;
  next_deadline_ = std::min(next_deadline_, deadline);
  Unlink(c);
  Link(c);
  Arm(c, events);
}

void Front::Loop::Arm(Connection* c, uint32_t events) {
  epoll_event ev{};
  ev.events = events | EPOLLONESHOT;
  ev.data.ptr = c;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c->fd, &ev);
}

bool Front::Loop::EvictOldest(PeerEntry* peer) {
  Connection* victim = peer ? peer->head : head_;
  if (victim == nullptr) return false;
  handler_->Dropped("evicted");
  Close(victim);
  return true;
}

void Front::Loop::Close(Connection* c) {
  Unlink(c);
  close(c->fd);
  c->fd = -1;
  if (--c->peer_entry->count == 0) peers_.erase(c->peer);
  open_--;
  all_.erase(c);
  closed_.push_back(c);
  if (accept_paused_) PauseAccepting(false);
}

void Front::Loop::PauseAccepting(bool pause) {
  if (listen_fd_ < 0) return;
  accept_paused_ = pause;
  epoll_event ev{};
  ev.events = pause ? 0u : static_cast<uint32_t>(EPOLLIN);
  ev.data.ptr = &listen_tag_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
}

void Front::Loop::Link(Connection* c) {
  c->prev = tail_;
  c->next = nullptr;
  (tail_ ? tail_->next : head_) = c;
  tail_ = c;
  PeerEntry* p = c->peer_entry;
  c->peer_prev = p->tail;
  c->peer_next = nullptr;
  (p->tail ? p->tail->peer_next : p->head) = c;
  p->tail = c;
  c->listed = true;
}

void Front::Loop::Unlink(Connection* c) {
  if (!c->listed) return;
  (c->prev ? c->prev->next : head_) = c->next;
  (c->next ? c->next->prev : tail_) = c->prev;
  PeerEntry* p = c->peer_entry;
  (c->peer_prev ? c->peer_prev->peer_next : p->head) = c->peer_next;
  (c->peer_next ? c->peer_next->peer_prev : p->tail) = c->peer_prev;
  c->prev = c->next = c->peer_prev = c->peer_next = nullptr;
  c->listed = false;
}

void Front::Loop::Work(Connection* c) {
  if (!c->responding) {
    HttpResponse r;
    try {
      r = handler_->Handle(c->request);
    } catch (const std::exception& e) {
      LogError("http.handler_failed", {{"path", std::string(c->request.path().substr(0, 200))},
                                       {"reason", e.what()}});
      r = TextResponse(500, "internal error");
    }
    c->BeginAnswer(std::move(r), c->keep_alive);
  }
  GiveBack(c, c->Pump(kTurnBytes));
}

void Front::Loop::GiveBack(Connection* c, Turn turn) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(back_mu_);
    wake = back_.empty();
    back_.emplace_back(c, turn);
  }
  if (wake) {
    uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof(one));
  }
}

Front::Front(FrontOptions options, FrontHandler* handler)
    : loop_(std::make_unique<Loop>(options, handler)) {}

Front::~Front() { Stop(milliseconds(0)); }

Status Front::Start(int listen_fd) { return loop_->Start(listen_fd); }

void Front::Stop(milliseconds grace) { loop_->Stop(grace); }

int Front::open_connections() const { return loop_->open(); }

}  // namespace ccci
