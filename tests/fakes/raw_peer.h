#pragma once
// A TCP peer that behaves as a hostile client may: it connects from a chosen loopback address
// (all of 127.0.0.0/8 reaches this host, so many "peers" can be had), sends bytes as slowly as
// it likes, and reads the answer, or never does.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ccci::testing {

class RawPeer {
 public:
  RawPeer(uint16_t port, const char* from = "127.0.0.1") {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    inet_pton(AF_INET, from, &local.sin_addr);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    timeval ten_seconds{10, 0};  // a send the server never takes fails instead of hanging
    if (fd_ >= 0) setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &ten_seconds, sizeof(ten_seconds));
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0 ||
        connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
      if (fd_ >= 0) close(fd_);
      throw std::runtime_error(std::string("RawPeer: cannot connect from ") + from);
    }
  }
  ~RawPeer() { close(fd_); }
  RawPeer(const RawPeer&) = delete;
  RawPeer& operator=(const RawPeer&) = delete;

  // Sends all of `bytes`, blocking as needed (10 s at most); false when the connection is
  // gone (reset) or the server takes nothing for 10 s.
  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Sends what the socket takes now, without waiting; false when the connection is gone.
  bool SendNow(std::string_view bytes) {
    ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    return n >= 0 || errno == EAGAIN;
  }
  // Reads until the server closes the connection, `max` bytes arrived, or nothing came for
  // `quiet`. A reset after the answer is fine: what came before it is returned.
  std::string Read(std::chrono::milliseconds quiet = std::chrono::seconds(10),
                   size_t max = 1 << 20) {
    std::string out;
    char buf[16384];
    while (out.size() < max) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(quiet.count())) <= 0) break;
      ssize_t n = recv(fd_, buf, std::min(sizeof(buf), max - out.size()), 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  // Whether the server sent something or closed (waiting up to `wait` for it).
  bool Readable(std::chrono::milliseconds wait = std::chrono::milliseconds(0)) {
    pollfd p{fd_, POLLIN, 0};
    return poll(&p, 1, static_cast<int>(wait.count())) > 0;
  }
  // Whether the server has closed the connection (waiting up to `wait` for it).
  bool Closed(std::chrono::milliseconds wait = std::chrono::milliseconds(0)) {
    if (closed_) return true;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(wait.count())) <= 0) return false;
    char c;
    ssize_t n = recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    closed_ = n == 0 || (n < 0 && errno != EAGAIN);
    return closed_;
  }

 private:
  int fd_ = -1;
  bool closed_ = false;
};

// Lets this process hold thousands of sockets (both ends of each test connection): the soft
// limit up to the hard one, and the hard one up to 65536 where allowed (root).
inline void RaiseOpenFileLimit() {
  rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rlimit want = rl;
  want.rlim_max = std::max<rlim_t>(rl.rlim_max, 65536);
  want.rlim_cur = want.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &want) != 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace ccci::testing
