#include "bot/http/front.h"

#include <fcntl.h>
#include <malloc.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "base/log.h"
#include "base/thread_name.h"

namespace ccci {

namespace {

using std::chrono::milliseconds;

constexpr size_t kReadBytes = 64 * 1024;
constexpr size_t kTurnBytes = 1 << 20;  // body bytes one worker turn may pull
constexpr milliseconds kLinger{2000};   // after an answer with close: drain this long
constexpr size_t kLingerBytes = 16 << 20;
constexpr milliseconds kQuietBeforeTrim{2000};
constexpr milliseconds kQuietHandBack{500};
constexpr int kMaxEvents = 256;
constexpr int kAcceptBatch = 64;
constexpr uint32_t kIn = EPOLLIN | EPOLLRDHUP;
constexpr uint32_t kOut = EPOLLOUT;

}  // namespace

Status Front::Start(int listen_fd) {
  listen_fd_ = listen_fd;
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0 || back_.fd() < 0) return Unavailable(std::string("epoll: ") + strerror(errno));
  int flags = fcntl(listen_fd_, F_GETFL);
  fcntl(listen_fd_, F_SETFL, flags | O_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &listen_tag_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  ev.data.ptr = &wake_tag_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, back_.fd(), &ev);
  auto work = [this](Connection* c) { Work(c); };
  priority_ = std::make_unique<WorkerPool>(o_.priority_workers, o_.max_queued, work, "http-hook");
  pages_ = std::make_unique<WorkerPool>(o_.page_workers, o_.max_queued, work, "http-page");
  thread_ = NamedThread("http-front", [this] { Run(); });
  return Status::Ok();
}

void Front::Stop(milliseconds grace) {
  if (!thread_.joinable()) return;
  grace_ = grace;
  stopping_ = true;
  back_.Wake();
  thread_.join();
  // Single-threaded once the pools are joined; the table closes what is left, those the
  // pools never started included.
  priority_->Stop();
  pages_->Stop();
  {  // answers a handler gave to another thread (the intake's: the store's committing one)
    std::unique_lock<std::mutex> lock(answered_mu_);
    answered_cv_.wait(lock, [&] { return answering_.load() == 0; });
  }
  table_.CloseAll();
  for (Connection* c : closed_) delete c;
  closed_.clear();
  if (listen_fd_ >= 0) close(listen_fd_);
  close(epoll_fd_);
}

void Front::Run() {
  epoll_event events[kMaxEvents];
  for (;;) {
    now_ = FrontClock::now();
    int n = epoll_wait(epoll_fd_, events, kMaxEvents, Timeout());
    now_ = FrontClock::now();
    // Before the events: one may be for a connection a worker just handed back.
    for (auto [c, turn] : back_.Take()) Returned(c, turn);
    for (int i = 0; i < n; ++i) {
      void* tag = events[i].data.ptr;
      if (tag == &listen_tag_) {
        Accept();
      } else if (tag == &wake_tag_) {
        back_.ClearWake();
        // A hand-back pushed since the Take above woke the loop with the write the read just
        // spent: taken now, or it would wait for the next event or kQuietHandBack.
        for (auto [c, turn] : back_.Take()) Returned(c, turn);
      } else {
        OnEvent(static_cast<Connection*>(tag));
      }
    }
    if (now_ >= next_deadline_) Sweep();
    for (Connection* c : closed_) delete c;
    closed_.clear();
    if (stopping_) {
      if (!stop_begun_) BeginStop();
      if (table_.open() == 0 || now_ >= stop_deadline_) return;
    } else {
      TrimWhenQuiet();
    }
  }
}

int Front::Timeout() const {
  auto until = std::min(next_deadline_, stop_deadline_);
  if (dirty_) until = std::min(until, last_busy_ + kQuietBeforeTrim);
  // Workers hand keep-alive connections back without waking the loop: take them in time.
  if (in_workers_ > 0) until = std::min(until, now_ + kQuietHandBack);
  if (until == TimePoint::max()) return -1;
  auto ms = std::chrono::ceil<milliseconds>(until - now_).count();
  return static_cast<int>(std::clamp<int64_t>(ms, 0, 60000));
}

void Front::Accept() {
  for (int i = 0; i < kAcceptBatch; ++i) {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    int fd =
        accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) {
        // Out of descriptors: make room by closing the oldest waiting connection, or stop
        // accepting until a connection closes (the listener would wake the loop at once).
        if (Evict(table_.Oldest())) continue;
        PauseAccepting(true);
      }
      return;
    }
    bool full = false;
    PeerKey key = PeerKey::Of(addr);
    // Over a per-peer cap the peer's oldest goes, which then leaves room under the global
    // cap as well.
    if (Connection* victim =
            table_.VictimFor(key, o_.max_connections, o_.max_connections_per_peer, &full)) {
      Evict(victim);
    }
    if (full) {  // every connection is being answered: no one to make room
      handler_->Dropped("refused");
      close(fd);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    Connection* c = table_.Add(fd, addr, {o_.max_head_bytes, 100, o_.max_body_bytes});
    epoll_event ev{};
    ev.events = kIn | EPOLLONESHOT;
    ev.data.ptr = c;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    c->state = ConnState::kReading;
    c->deadline = now_ + o_.request_timeout;
    next_deadline_ = std::min(next_deadline_, c->deadline);
    table_.MarkWaiting(c);
  }
}

void Front::OnEvent(Connection* c) {
  if (c->fd < 0) return;  // closed earlier in this batch
  switch (c->state) {
    case ConnState::kReading:
      OnReadable(c);
      return;
    case ConnState::kWriting: {
      size_t before = c->out_pos;
      Turn t = c->Flush();
      if (t == Turn::kBroken) return Close(c);
      if (t == Turn::kBlocked) {
        // Progress renews the write deadline and makes it young again; a peer that reads
        // nothing keeps ageing towards eviction.
        if (c->out_pos != before)
          return WaitFor(c, ConnState::kWriting, now_ + o_.write_timeout, kOut);
        return Arm(c, kOut);
      }
      if (c->body_done) return AfterAnswer(c);
      return ToWorker(c);
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
      c->missed_event = true;  // the one-shot arming is spent: Returned arms it again
      return;
  }
}

void Front::OnReadable(Connection* c) {
  ssize_t n = recv(c->fd, buf_.get(), kReadBytes, 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return Arm(c, kIn);
  if (n <= 0) return Close(c);  // the peer left; half a request gets no answer
  Feed(c, buf_.get(), static_cast<size_t>(n));
}

void Front::Feed(Connection* c, const char* data, size_t n) {
  bool was_idle = c->reader.state() == RequestReader::State::kIdle;
  size_t body_before = c->reader.body_bytes();
  size_t used = c->reader.Feed(data, n);
  auto grown = static_cast<int64_t>(c->reader.body_bytes() - body_before);
  table_.Charge(c, grown);
  if (grown > 0 && table_.charged() > o_.max_request_memory &&
      c->reader.state() != RequestReader::State::kError) {
    handler_->Dropped("busy");
    return Refuse(c, c->reader.partial(), 503, "busy: too much request data in flight; retry later",
                  true);
  }
  switch (c->reader.state()) {
    case RequestReader::State::kComplete:
      c->leftover.append(data + used, n - used);
      return Dispatch(c);
    case RequestReader::State::kError:
      return Refuse(c, c->reader.partial(), c->reader.error_status(), c->reader.error_reason(),
                    true);
    case RequestReader::State::kReading:
      if (c->reader.TakeContinue()) {  // the peer waits for this before it sends the body
        static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
        // Safe to drop: a peer that misses it sends the body anyway after its own wait (curl:
        // 1s), and a dead connection shows on the next read.
        (void)!send(c->fd, kContinue, sizeof(kContinue) - 1, MSG_NOSIGNAL);
      }
      if (was_idle) {  // a request began: it has request_timeout to arrive whole
        return WaitFor(c, ConnState::kReading, now_ + o_.request_timeout, kIn);
      }
      return Arm(c, kIn);
    case RequestReader::State::kIdle:
      return Arm(c, kIn);
  }
}

void Front::Dispatch(Connection* c) {
  c->keep_alive = c->reader.keep_alive();
  c->request = c->reader.Take();
  c->request.peer = c->peer_text;
  c->priority = handler_->IsPriority(c->request.path());
  table_.Unlist(c);
  c->state = ConnState::kInWorker;
  c->missed_event = false;
  in_workers_++;
  dirty_ = true;
  last_busy_ = now_;
  if ((c->priority ? priority_ : pages_)->Submit(c)) return;
  in_workers_--;
  handler_->Dropped("busy");
  HttpRequest req = std::move(c->request);
  Refuse(c, std::move(req), 503, "busy: too many requests waiting; retry later", true);
}

void Front::Refuse(Connection* c, HttpRequest partial, int status, const std::string& reason,
                   bool linger) {
  table_.Uncharge(c);
  HttpResponse r = handler_->Reject(partial, status, reason);
  r.close = true;
  c->request = std::move(partial);
  c->BeginAnswer(std::move(r), false);
  Turn t = c->Flush();
  if (t == Turn::kBroken || (t == Turn::kBlocked && !linger)) return Close(c);
  if (t == Turn::kBlocked) return WaitFor(c, ConnState::kWriting, now_ + o_.write_timeout, kOut);
  if (!linger) return Close(c);
  AfterAnswer(c);
}

void Front::Returned(Connection* c, Turn turn) {
  table_.Uncharge(c);  // the handler has run: its request's body is gone or going
  in_workers_--;
  last_busy_ = now_;
  switch (turn) {
    case Turn::kAnswered:
      return AfterAnswer(c);
    case Turn::kRearmed: {
      if (stopping_) return Close(c);
      // The worker armed it. Again only when an event came before this hand-back and was
      // dropped (OnEvent): an epoll_ctl per request saved.
      bool missed = c->missed_event;
      c->missed_event = false;
      if (missed) return WaitFor(c, ConnState::kReading, now_ + o_.keepalive_timeout, kIn);
      return Await(c, ConnState::kReading, now_ + o_.keepalive_timeout);
    }
    case Turn::kBlocked:
      return WaitFor(c, ConnState::kWriting, now_ + o_.write_timeout, kOut);
    case Turn::kWait:
      if (stopping_) return Close(c);  // live streams end with the server
      return WaitFor(c, ConnState::kWaiting, now_ + c->wait, kIn);
    case Turn::kBroken:
      return Close(c);
  }
}

void Front::AfterAnswer(Connection* c) {
  if (stopping_) return Close(c);
  if (!c->keep_alive) return Linger(c);
  c->EndAnswer();
  WaitFor(c, ConnState::kReading, now_ + o_.keepalive_timeout, kIn);
  if (!c->leftover.empty()) {  // a pipelined request is already here
    std::string data = std::move(c->leftover);
    c->leftover.clear();
    Feed(c, data.data(), data.size());
  }
}

void Front::Linger(Connection* c) {
  c->EndAnswer();
  c->leftover.clear();
  shutdown(c->fd, SHUT_WR);
  c->lingered = 0;
  WaitFor(c, ConnState::kLingering, now_ + kLinger, kIn);
}

void Front::ToWorker(Connection* c) {
  table_.Unlist(c);
  c->state = ConnState::kInWorker;
  c->missed_event = false;
  in_workers_++;
  if (pages_->Submit(c)) return;
  in_workers_--;
  c->state = ConnState::kWriting;
  handler_->Dropped("busy");
  Close(c);
}

void Front::Expire(Connection* c) {
  switch (c->state) {
    case ConnState::kReading:
      if (c->reader.state() == RequestReader::State::kIdle) return Close(c);
      handler_->Dropped("request_timeout");
      return Refuse(c, c->reader.partial(), 408,
                    "request timeout: a request must arrive whole within " +
                        std::to_string(o_.request_timeout.count() / 1000) + "s",
                    false);
    case ConnState::kWriting:
      handler_->Dropped("write_timeout");
      return Close(c);
    case ConnState::kWaiting:
      return ToWorker(c);
    case ConnState::kLingering:
    case ConnState::kInWorker:
      return Close(c);
  }
}

void Front::Sweep() {
  next_deadline_ = TimePoint::max();
  for (Connection* c = table_.Oldest(); c != nullptr;) {
    Connection* next = c->next;
    if (c->deadline <= now_) {
      Expire(c);
    } else {
      next_deadline_ = std::min(next_deadline_, c->deadline);
    }
    c = next;
  }
}

void Front::BeginStop() {
  stop_begun_ = true;
  stop_deadline_ = now_ + grace_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
  close(listen_fd_);
  listen_fd_ = -1;
  for (Connection* c = table_.Oldest(); c != nullptr;) {
    Connection* next = c->next;
    if (c->state != ConnState::kWriting) Close(c);  // answers being written may finish
    c = next;
  }
}

void Front::TrimWhenQuiet() {
  // A burst of big answers leaves freed memory in the allocator's arenas (the raised trim
  // threshold of serve_command.cc keeps it there for speed); once quiet, give it back.
  if (!dirty_ || in_workers_ > 0 || now_ - last_busy_ < kQuietBeforeTrim) return;
  dirty_ = false;
  malloc_trim(0);
}

void Front::WaitFor(Connection* c, ConnState state, TimePoint deadline, uint32_t events) {
  Await(c, state, deadline);
  Arm(c, events);
}

void Front::Await(Connection* c, ConnState state, TimePoint deadline) {
  c->state = state;
  c->deadline = deadline;
  next_deadline_ = std::min(next_deadline_, deadline);
  table_.MarkWaiting(c);
}

void Front::Arm(Connection* c, uint32_t events) {
  epoll_event ev{};
  ev.events = events | EPOLLONESHOT;
  ev.data.ptr = c;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c->fd, &ev);
}

bool Front::Evict(Connection* victim) {
  if (victim == nullptr) return false;
  handler_->Dropped("evicted");
  Close(victim);
  return true;
}

void Front::Close(Connection* c) {
  table_.Uncharge(c);
  table_.Remove(c);
  close(c->fd);
  c->fd = -1;
  closed_.push_back(c);
  if (accept_paused_) PauseAccepting(false);
}

void Front::PauseAccepting(bool pause) {
  if (listen_fd_ < 0) return;
  accept_paused_ = pause;
  epoll_event ev{};
  ev.events = pause ? 0u : static_cast<uint32_t>(EPOLLIN);
  ev.data.ptr = &listen_tag_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
}

void Front::Work(Connection* c) {
  if (c->responding) return Continue(c);  // the next piece of a streamed answer
  answering_.fetch_add(1);
  try {
    handler_->Start(c->request, [this, c](HttpResponse r) { Answer(c, std::move(r)); });
  } catch (const std::exception& e) {
    LogError("http.handler_failed",
             {{"path", std::string(c->request.path().substr(0, 200))}, {"reason", e.what()}});
    Answer(c, TextResponse(500, "internal error"));
  }
}

void Front::Answer(Connection* c, HttpResponse response) {
  c->BeginAnswer(std::move(response), c->keep_alive);
  Continue(c);  // `c` may be gone after this
  if (answering_.fetch_sub(1) == 1 && stopping_) {
    std::lock_guard<std::mutex> lock(answered_mu_);
    answered_cv_.notify_all();
  }
}

void Front::Continue(Connection* c) {
  Turn turn = c->Pump(kTurnBytes);
  if (turn == Turn::kAnswered && c->keep_alive && c->leftover.empty() && !stopping_) {
    // The usual end: waiting for the next request starts here, and the loop takes the
    // connection back the next time it wakes (for that request at the latest) instead of
    // being woken for it now: one thread hand-off per request, not two.
    c->EndAnswer();
    Arm(c, kIn);
    return back_.Push(c, Turn::kRearmed, false);
  }
  back_.Push(c, turn, true);
}

Front::Front(FrontOptions options, FrontHandler* handler)
    : o_(options), handler_(handler), buf_(std::make_unique<char[]>(kReadBytes)) {}

Front::~Front() { Stop(milliseconds(0)); }

}  // namespace ccci
