#include "bot/runner/readiness_probe.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace ccci::runner {
namespace {

// Answers each connection with the next status in `codes` (the last one repeats).
class TinyServer {
 public:
  explicit TinyServer(std::vector<int> codes) : codes_(std::move(codes)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(fd_, 16);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TinyServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  int port() const { return port_; }
  std::string host_header;

 private:
  void Serve() {
    for (size_t i = 0;; ++i) {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[2048];
      ssize_t n = read(c, buf, sizeof buf);
      if (n > 0 && host_header.empty()) host_header.assign(buf, static_cast<size_t>(n));
      int code = codes_[std::min(i, codes_.size() - 1)];
      std::string resp = "HTTP/1.1 " + std::to_string(code) +
                         " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      (void)!write(c, resp.data(), resp.size());
      close(c);
    }
  }
  std::vector<int> codes_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

ProbeOptions Options(int port) {
  ProbeOptions o;
  o.url = "http://app-1-abc.ci.example/health";
  o.connect_to = {"app-1-abc.ci.example:80:127.0.0.1:" + std::to_string(port)};
  o.timeout = std::chrono::seconds(10);
  o.interval = std::chrono::seconds(1);
  o.request_timeout = std::chrono::seconds(5);
  return o;
}

TEST(ReadinessProbe, ProxyNotFoundThenAppAnswersThroughConnectTo) {
  TinyServer server({404, 502, 200});
  int sleeps = 0;
  auto r = WaitReady(Options(server.port()), [&](std::chrono::milliseconds) { ++sleeps; });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->last_code, 200);
  EXPECT_EQ(r->attempts, 3);
  EXPECT_EQ(sleeps, 2);
  EXPECT_NE(server.host_header.find("Host: app-1-abc.ci.example"), std::string::npos);
}

TEST(ReadinessProbe, TimesOutOn404AndHonoursExpectedCodes) {
  TinyServer server({404});
  auto r = WaitReady(Options(server.port()), [](std::chrono::milliseconds) {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded);
  EXPECT_EQ(r.status().message().find("not ready after 11 attempts; last code 404"), 0u)
      << r.status().message();
  auto o = Options(server.port());
  o.expected_codes = {404};
  EXPECT_TRUE(WaitReady(o, [](std::chrono::milliseconds) {}).ok());
}

}  // namespace
}  // namespace ccci::runner
