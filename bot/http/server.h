#pragma once
// The HTTP server: Poco's HTTPServer with a request router. One process serves webhook
// intake, the JSON API, /healthz, /metrics (and later the dashboard and badges).
//
// Connection model: Poco gives each connection a thread for its whole life. To keep idle
// keep-alive peers from starving new deliveries, the pool is sized by max_connections (threads
// are started lazily, so an idle server holds few), idle keep-alive connections are closed
// after keepalive_timeout, and a peer that stalls mid-request after request_timeout.

#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPServer;
class ServerSocket;
}
}  // namespace Poco

namespace ccci {

class Intake;
class Metrics;
class Store;
class OutboxStore;

struct HttpServerOptions {
  std::string listen = "127.0.0.1:8080";
  int max_connections = 512;
  int max_queued = 1024;
  int keepalive_timeout_s = 5;
  int request_timeout_s = 10;
  int64_t max_body_bytes = 1 << 20;
};

// What the handlers use. Everything must outlive the server.
struct HttpServices {
  Intake* intake = nullptr;
  Store* store = nullptr;
  Metrics* metrics = nullptr;
  std::string version;
  std::string public_url;  // base of absolute links (badge URLs to copy)
  OutboxStore* outbox = nullptr;  // for GET /api/outbox; may be null
  std::string data_dir;  // stage logs live under it (StageRecord::log_path); empty: no logs
  // gitea.url: run pages link PRs and commits there; "": no links. Defaulted, so the
  // positional initialisers written before it need not name it.
  std::string forge_url = {};
};

// A listening socket bound before the server is built, so that what is built first knows the
// real address: with port 0 the links cc-ci writes into PR comments name the picked port.
class Listener {
 public:
  // Binds `listen` (HOST:PORT) and listens. Fails with Unavailable when it cannot be bound.
  static Result<std::unique_ptr<Listener>> Bind(const std::string& listen);
  ~Listener();
  uint16_t port() const { return port_; }
  // HOST:PORT with the bound port.
  const std::string& address() const { return address_; }

 private:
  friend class HttpServer;
  Listener() = default;
  std::unique_ptr<Poco::Net::ServerSocket> socket_;
  uint16_t port_ = 0;
  std::string address_;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpServices services);
  ~HttpServer();

  // Starts serving on `listener`, or binds options.listen when none is given. Fails with
  // Unavailable when the address cannot be bound.
  Status Start(std::unique_ptr<Listener> listener = nullptr);
  // The bound port (useful with port 0).
  uint16_t port() const { return port_; }
  // Stops accepting, lets requests in flight finish (up to `grace_ms`), then closes the rest.
  void Stop(int grace_ms = 5000);

 private:
  HttpServerOptions options_;
  HttpServices services_;
  std::unique_ptr<Poco::ThreadPool> pool_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  uint16_t port_ = 0;
};

// The one mapping from an error Code to an HTTP status.
int HttpStatusFor(Code code);

}  // namespace ccci
