#pragma once
// The HTTP server: the event-driven front (bot/http/front.h) and the router
// (bot/http/router.h) on one listening socket. One process serves webhook intake, the JSON
// API, /healthz, /metrics, the dashboard, badges and stage logs.

#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"

namespace ccci {

class Front;
class Intake;
class Metrics;
class Router;
class RunReader;
class OutboxStore;
class HistoryStore;
class ArtifactStore;
class NightlyStore;

// The [server] keys of bot/config/config.h; front.h says what each bounds.
struct HttpServerOptions {
  std::string listen = "127.0.0.1:8080";
  int max_connections = 1024;
  int max_connections_per_peer = 64;  // 0: no cap
  int max_queued = 1024;
  int keepalive_timeout_s = 5;
  int request_timeout_s = 10;
  int write_timeout_s = 30;
  int64_t max_body_bytes = 1 << 20;
  int64_t max_request_memory = 64 << 20;
  int hook_workers = 4;
  int page_workers = 4;
};

// What the handlers use. Everything must outlive the server.
struct HttpServices {
  Intake* intake = nullptr;
  RunReader* store = nullptr;  // runs and stages
  Metrics* metrics = nullptr;
  std::string version;
  std::string public_url;         // base of absolute links (badge URLs to copy)
  OutboxStore* outbox = nullptr;  // for GET /api/outbox; may be null
  std::string data_dir;  // stage logs live under it (StageRecord::log_path); empty: no logs
  HistoryStore* history = nullptr;  // level history and flaky rates; may be null
  // gitea.url: run pages link PRs and commits there; "": no links. Defaulted, so the
  // positional initialisers written before it need not name it.
  std::string forge_url = {};
  // Stage logs and screenshots in the store, written by the runner of any host; null: only
  // the files under data_dir.
  ArtifactStore* artifacts = nullptr;
  NightlyStore* nightly = nullptr;    // the /nightly board; null: it answers 503
  std::string nightly_schedule = {};  // schedule.nightly as HH:MM, "" when off
};

// A listening socket bound before the server is built, so that what is built first knows the
// real address: with port 0 the links cc-ci writes into PR comments name the picked port.
class Listener {
 public:
  // Binds `listen` (HOST:PORT) and listens. Fails with Unavailable when it cannot be bound,
  // in particular when another process listens on the port: SO_REUSEADDR only (a restart
  // may bind while old connections linger), never SO_REUSEPORT, which would let two
  // servers share the port and split the requests between them.
  static Result<std::unique_ptr<Listener>> Bind(const std::string& listen);
  ~Listener();
  uint16_t port() const { return port_; }
  // HOST:PORT with the bound port.
  const std::string& address() const { return address_; }

 private:
  friend class HttpServer;
  Listener() = default;
  int fd_ = -1;
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
  std::unique_ptr<Router> router_;
  std::unique_ptr<Front> front_;
  uint16_t port_ = 0;
};

// The one mapping from an error Code to an HTTP status.
int HttpStatusFor(Code code);

}  // namespace ccci
