#include "bot/http/server.h"

#include <Poco/Exception.h>
#include <Poco/Net/SocketAddress.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bot/http/front.h"
#include "bot/http/router.h"

namespace ccci {

int HttpStatusFor(Code code) {
  switch (code) {
    case Code::kOk: return 200;
    case Code::kInvalidArgument: return 400;
    case Code::kUnauthenticated: return 401;
    case Code::kPermissionDenied: return 403;
    case Code::kNotFound: return 404;
    case Code::kAlreadyExists: return 409;
    case Code::kFailedPrecondition: return 409;
    case Code::kTooLarge: return 413;
    case Code::kResourceExhausted: return 429;
    case Code::kCancelled: return 499;
    case Code::kUnavailable: return 503;
    case Code::kDeadlineExceeded: return 504;
    case Code::kInternal: return 500;
  }
  return 500;
}

Result<std::unique_ptr<Listener>> Listener::Bind(const std::string& listen) {
  std::unique_ptr<Listener> l(new Listener);
  Poco::Net::SocketAddress addr;
  try {
    addr = Poco::Net::SocketAddress(listen);
  } catch (const Poco::Exception& e) {
    return Unavailable("cannot listen on " + listen + ": " + e.displayText());
  }
  auto fail = [&](const char* what) {
    std::string reason = strerror(errno);
    if (errno == EADDRINUSE) reason += " (is another cc-ci or another program on this port?)";
    return Unavailable("cannot listen on " + listen + ": " + what + ": " + reason);
  };
  l->fd_ = socket(addr.family() == Poco::Net::SocketAddress::IPv6 ? AF_INET6 : AF_INET,
                  SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (l->fd_ < 0) return fail("socket");
  int one = 1;
  setsockopt(l->fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(l->fd_, addr.addr(), addr.length()) != 0) return fail("bind");
  if (::listen(l->fd_, 1024) != 0) return fail("listen");
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  getsockname(l->fd_, reinterpret_cast<sockaddr*>(&bound), &len);
  l->port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                               : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  l->address_ = listen.substr(0, listen.rfind(':')) + ":" + std::to_string(l->port_);
  return l;
}

Listener::~Listener() {
  if (fd_ >= 0) close(fd_);
}

HttpServer::HttpServer(HttpServerOptions options, HttpServices services)
    : options_(std::move(options)), router_(std::make_unique<Router>(std::move(services))) {}

HttpServer::~HttpServer() { Stop(0); }

Status HttpServer::Start(std::unique_ptr<Listener> listener) {
  if (!listener) {
    auto bound = Listener::Bind(options_.listen);
    if (!bound.ok()) return bound.status();
    listener = std::move(*bound);
  }
  FrontOptions fo;
  fo.max_connections = options_.max_connections;
  fo.max_connections_per_peer = options_.max_connections_per_peer;
  fo.request_timeout = std::chrono::seconds(options_.request_timeout_s);
  fo.keepalive_timeout = std::chrono::seconds(options_.keepalive_timeout_s);
  fo.write_timeout = std::chrono::seconds(options_.write_timeout_s);
  fo.max_body_bytes = options_.max_body_bytes;
  fo.max_request_memory = options_.max_request_memory;
  fo.priority_workers = options_.hook_workers;
  fo.page_workers = options_.page_workers;
  fo.max_queued = static_cast<size_t>(options_.max_queued);
  front_ = std::make_unique<Front>(fo, router_.get());
  port_ = listener->port();
  int fd = listener->fd_;
  listener->fd_ = -1;  // the front owns it now
  return front_->Start(fd);
}

void HttpServer::Stop(int grace_ms) {
  if (front_) front_->Stop(std::chrono::milliseconds(grace_ms));
}

}  // namespace ccci
