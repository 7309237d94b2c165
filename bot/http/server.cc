#include "bot/http/server.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <chrono>
#include <thread>

#include "base/log.h"
#include "bot/forge/outbox_store.h"
#include "bot/http/api_json.h"
#include "bot/http/badges.h"
#include "bot/http/dashboard.h"
#include "bot/http/log_stream.h"
#include "bot/http/metrics.h"
#include "bot/http/stage_logs.h"
#include "bot/intake/intake.h"
#include "bot/store/store.h"

namespace ccci {
namespace {

using Poco::Net::HTTPRequestHandler;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

void Send(HTTPServerResponse& resp, int status, const std::string& content_type,
          const std::string& body) {
  resp.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(status));
  resp.setContentType(content_type);
  resp.setContentLength64(static_cast<Poco::Int64>(body.size()));
  resp.set("X-Content-Type-Options", "nosniff");
  resp.send().write(body.data(), static_cast<std::streamsize>(body.size()));
}

void SendText(HTTPServerResponse& resp, int status, const std::string& line) {
  Send(resp, status, "text/plain; charset=utf-8", line + "\n");
}

// Answers with a fixed status; used for 404 and 405.
class FixedHandler : public HTTPRequestHandler {
 public:
  FixedHandler(HttpServices* s, int status, std::string text, std::string allow = "")
      : s_(s), status_(status), text_(std::move(text)), allow_(std::move(allow)) {}
  void handleRequest(HTTPServerRequest&, HTTPServerResponse& resp) override {
    if (!allow_.empty()) resp.set("Allow", allow_);
    SendText(resp, status_, text_);
    s_->metrics->ObserveHttpRequest("other", status_);
  }

 private:
  HttpServices* s_;
  int status_;
  std::string text_;
  std::string allow_;
};

class HookHandler : public HTTPRequestHandler {
 public:
  HookHandler(HttpServices* s, int64_t max_body) : s_(s), max_body_(max_body) {}

  void handleRequest(HTTPServerRequest& req, HTTPServerResponse& resp) override {
    auto start = std::chrono::steady_clock::now();
    WebhookRequest w;
    w.method = req.getMethod();
    w.event = req.get("X-Gitea-Event", req.get("X-Gogs-Event", ""));
    IntakeResponse out;
    if (w.method != "POST") {
      resp.set("Allow", "POST");
      out = s_->intake->Handle(w);  // 405, through the one place that decides
    } else if (!ReadBody(req, &w.body)) {
      // Oversized: answer without reading the rest, and close so the unread bytes die
      // with the connection instead of being parsed as the next request.
      resp.setKeepAlive(false);
      out.status = 413;
      out.outcome = "too_large";
      out.event = w.event;
      out.message = "payload too large: the limit is " + std::to_string(max_body_) + " bytes";
      LogWarn("delivery.rejected", {{"delivery", req.get("X-Gitea-Delivery", "")},
                                    {"reason", "body over limit"}});
    } else {
      w.content_type = req.getContentType();
      w.event_type = req.get("X-Gitea-Event-Type", req.get("X-Gogs-Event-Type", ""));
      w.delivery = req.get("X-Gitea-Delivery", req.get("X-Gogs-Delivery", ""));
      w.signature = req.get("X-Gitea-Signature", req.get("X-Gogs-Signature", ""));
      w.hub_signature_256 = req.get("X-Hub-Signature-256", "");
      out = s_->intake->Handle(w);
    }
    SendText(resp, out.status, out.message);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    s_->metrics->ObserveDelivery(out.event, out.outcome, secs);
    s_->metrics->ObserveHttpRequest("hooks", out.status);
  }

 private:
  // Reads the body into `out`. Returns false, having read at most max_body_ + 1 bytes, when
  // the declared or actual size is over the limit.
  bool ReadBody(HTTPServerRequest& req, std::string* out) {
    if (req.hasContentLength()) {
      Poco::Int64 n = req.getContentLength64();
      if (n > max_body_) return false;
      out->reserve(static_cast<size_t>(n));
    }
    std::istream& in = req.stream();
    char buf[16384];
    while (in) {
      in.read(buf, sizeof(buf));
      std::streamsize got = in.gcount();
      if (got <= 0) break;
      if (static_cast<int64_t>(out->size()) + got > max_body_) return false;
      out->append(buf, static_cast<size_t>(got));
    }
    return true;
  }

  HttpServices* s_;
  int64_t max_body_;
};

class HealthHandler : public HTTPRequestHandler {
 public:
  explicit HealthHandler(HttpServices* s) : s_(s) {}
  void handleRequest(HTTPServerRequest&, HTTPServerResponse& resp) override {
    auto counts = s_->store->CountQueue();
    int status = counts.ok() ? 200 : 503;
    SendText(resp, status, counts.ok() ? "ok" : "store unavailable: " + counts.status().message());
    s_->metrics->ObserveHttpRequest("healthz", status);
  }

 private:
  HttpServices* s_;
};

class MetricsHandler : public HTTPRequestHandler {
 public:
  explicit MetricsHandler(HttpServices* s) : s_(s) {}
  void handleRequest(HTTPServerRequest&, HTTPServerResponse& resp) override {
    auto counts = s_->store->CountQueue();
    s_->metrics->ObserveHttpRequest("metrics", 200);
    Send(resp, 200, "text/plain; version=0.0.4; charset=utf-8",
         s_->metrics->Render(counts.ok() ? *counts : QueueCounts{}));
  }

 private:
  HttpServices* s_;
};

bool ParseInt(const std::string& s, int64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  *out = std::stoll(s);
  return true;
}

class RunsApiHandler : public HTTPRequestHandler {
 public:
  // run_id > 0: one run; otherwise the list.
  RunsApiHandler(HttpServices* s, std::string id_text) : s_(s), id_text_(std::move(id_text)) {}

  void handleRequest(HTTPServerRequest& req, HTTPServerResponse& resp) override {
    int status = 200;
    std::string body;
    if (!id_text_.empty()) {
      int64_t id;
      auto run = ParseInt(id_text_, &id) ? s_->store->GetRun(id)
                                         : Result<Run>(NotFound("no run " + id_text_));
      if (run.ok()) {
        body = RunToJson(*run);
      } else {
        status = HttpStatusFor(run.status().code());
        body = ErrorJson(run.status().message());
      }
    } else {
      RunQuery q;
      std::string error;
      Poco::URI uri(req.getURI());
      for (const auto& [k, v] : uri.getQueryParameters()) {
        int64_t n = 0;
        if (k == "limit" && ParseInt(v, &n) && n >= 1 && n <= 500) q.limit = static_cast<int>(n);
        else if (k == "before" && ParseInt(v, &n)) q.before_id = n;
        else if (k == "pr" && ParseInt(v, &n)) q.pr = n;
        else if (k == "repo") q.repo = v;
        else if (k == "state") q.state = v;
        else error = "bad query parameter '" + k + "'";
      }
      auto page = error.empty() ? s_->store->ListRuns(q) : Result<RunPage>(InvalidArgument(error));
      if (page.ok()) {
        body = RunPageToJson(*page, q);
      } else {
        status = HttpStatusFor(page.status().code());
        body = ErrorJson(page.status().message());
      }
    }
    Send(resp, status, "application/json", body);
    s_->metrics->ObserveHttpRequest("api_runs", status);
  }

 private:
  HttpServices* s_;
  std::string id_text_;
};

// GET /api/outbox: the newest messages for Gitea, delivered or not (in dry-run: what would
// have been sent).
class OutboxApiHandler : public HTTPRequestHandler {
 public:
  explicit OutboxApiHandler(HttpServices* s) : s_(s) {}
  void handleRequest(HTTPServerRequest&, HTTPServerResponse& resp) override {
    auto msgs = s_->outbox ? s_->outbox->RecentMessages(100)
                           : Result<std::vector<OutboxMessage>>(std::vector<OutboxMessage>{});
    if (!msgs.ok()) {
      Send(resp, 503, "application/json", ErrorJson(msgs.status().message()));
      return;
    }
    Send(resp, 200, "application/json", OutboxToJson(*msgs));
    s_->metrics->ObserveHttpRequest("api_outbox", 200);
  }

 private:
  HttpServices* s_;
};

class Router : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Router(HttpServices services, int64_t max_body) : s_(std::move(services)), max_body_(max_body) {}

  HTTPRequestHandler* createRequestHandler(const HTTPServerRequest& req) override {
    std::string path = req.getURI();
    if (size_t q = path.find('?'); q != std::string::npos) path.resize(q);
    const std::string& method = req.getMethod();
    bool get = method == "GET" || method == "HEAD";
    if (path == "/hooks/gitea") return new HookHandler(&s_, max_body_);
    if (path == "/healthz") return get ? new HealthHandler(&s_) : NotAllowed();
    if (path == "/metrics") return get ? new MetricsHandler(&s_) : NotAllowed();
    if (path == "/api/runs") return get ? new RunsApiHandler(&s_, "") : NotAllowed();
    if (path == "/api/outbox") return get ? new OutboxApiHandler(&s_) : NotAllowed();
    const std::string prefix = "/api/runs/";
    if (path.rfind(prefix, 0) == 0 && path.size() > prefix.size() &&
        path.find('/', prefix.size()) == std::string::npos) {
      return get ? new RunsApiHandler(&s_, path.substr(prefix.size())) : NotAllowed();
    }
    if (path.rfind("/badge/", 0) == 0 || path.rfind("/runs/", 0) == 0) {
      if (auto* h = MakeBadgeHandler(path, s_.store, s_.metrics, s_.data_dir)) {
        return get ? h : (delete h, NotAllowed());
      }
    }
    if (auto* h = MakeStageLogHandler(path, &s_, &log_streams_)) {
      return get ? h : (delete h, NotAllowed());
    }
    if (auto* h = MakeDashboardHandler(path, s_.store, s_.metrics, s_.public_url, s_.forge_url,
                                       s_.version, !s_.data_dir.empty())) {
      return get ? h : (delete h, NotAllowed());
    }
    return new FixedHandler(&s_, 404, "not found: " + path.substr(0, 200));
  }

 private:
  HTTPRequestHandler* NotAllowed() {
    return new FixedHandler(&s_, 405, "method not allowed: use GET", "GET, HEAD");
  }

  HttpServices s_;
  int64_t max_body_;
  LogStreams log_streams_;  // the cap on live log streams of this server
};

}  // namespace

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

HttpServer::HttpServer(HttpServerOptions options, HttpServices services)
    : options_(std::move(options)), services_(std::move(services)) {}

HttpServer::~HttpServer() { Stop(0); }

Result<std::unique_ptr<Listener>> Listener::Bind(const std::string& listen) {
  std::unique_ptr<Listener> l(new Listener);
  try {
    Poco::Net::SocketAddress addr(listen);
    l->socket_ = std::make_unique<Poco::Net::ServerSocket>();
    l->socket_->bind(addr, /*reuseAddress=*/true);
    l->socket_->listen(1024);
    l->port_ = l->socket_->address().port();
  } catch (const Poco::Exception& e) {
    return Unavailable("cannot listen on " + listen + ": " + e.displayText());
  }
  l->address_ = listen.substr(0, listen.rfind(':')) + ":" + std::to_string(l->port_);
  return l;
}

Listener::~Listener() = default;

Status HttpServer::Start(std::unique_ptr<Listener> listener) {
  if (!listener) {
    auto bound = Listener::Bind(options_.listen);
    if (!bound.ok()) return bound.status();
    listener = std::move(*bound);
  }
  try {
    Poco::Net::ServerSocket socket = *listener->socket_;
    port_ = listener->port();

    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(options_.max_connections);
    params->setMaxQueued(options_.max_queued);
    params->setThreadIdleTime(Poco::Timespan(30, 0));
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(options_.keepalive_timeout_s, 0));
    params->setMaxKeepAliveRequests(0);
    params->setTimeout(Poco::Timespan(options_.request_timeout_s, 0));
    params->setServerName("cc-ci");

    // Threads start lazily, up to max_connections, with small stacks: an idle server
    // holds two.
    pool_ = std::make_unique<Poco::ThreadPool>(2, options_.max_connections + 4, 30,
                                               256 * 1024);
    server_ = std::make_unique<Poco::Net::HTTPServer>(
        new Router(services_, options_.max_body_bytes), *pool_, socket, params);
    server_->start();
  } catch (const Poco::Exception& e) {
    return Unavailable("cannot listen on " + options_.listen + ": " + e.displayText());
  }
  return Status::Ok();
}

void HttpServer::Stop(int grace_ms) {
  if (!server_) return;
  server_->stop();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
  while (server_->currentConnections() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  server_->stopAll(true);
  server_.reset();
  pool_->joinAll();
  pool_.reset();
}

}  // namespace ccci
