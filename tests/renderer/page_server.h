#pragma once
// A loopback HTTP server (Poco, port 0) serving a test page for the screenshotter:
//   /         an HTML page with a solid background `color`, an image from this server
//             (/pixel.svg) and one from `foreign_origin` (when set)
//   /onload   a page that is #ff00ff until its load event handler paints it `color`
//   /pixel.svg a small SVG
//   /slow     answers only once Release() is called (or after 20 s)
// Counts the requests per path. And RefusingUrl: a page nothing answers.

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

namespace ccci::testing {

class PageServer {
 public:
  explicit PageServer(std::string color = "#3366cc", std::string foreign_origin = "")
      : state_(std::make_shared<State>()) {
    state_->color = std::move(color);
    state_->foreign_origin = std::move(foreign_origin);
    auto params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(8);
    server_ = std::make_unique<Poco::Net::HTTPServer>(
        new Factory(state_), Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0)),
        params);
    server_->start();
  }
  ~PageServer() {
    Release();
    server_->stopAll(true);
  }

  std::string origin() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  std::string url(const std::string& path = "/") const { return origin() + path; }
  void SetColor(std::string color) {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->color = std::move(color);
  }
  int hits(const std::string& path) const {
    std::lock_guard<std::mutex> lock(state_->mu);
    auto it = state_->hits.find(path);
    return it == state_->hits.end() ? 0 : it->second;
  }
  void Release() {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->released = true;
    state_->cv.notify_all();
  }

 private:
  struct State {
    std::string color;
    std::string foreign_origin;
    mutable std::mutex mu;
    std::condition_variable cv;
    bool released = false;
    std::map<std::string, int> hits;
  };

  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(std::shared_ptr<State> s) : s_(std::move(s)) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req,
                       Poco::Net::HTTPServerResponse& resp) override {
      const std::string path = req.getURI();
      {
        std::unique_lock<std::mutex> lock(s_->mu);
        s_->hits[path]++;
        if (path == "/slow") {
          s_->cv.wait_for(lock, std::chrono::seconds(20), [&] { return s_->released; });
        }
      }
      std::string body, color;
      {
        std::lock_guard<std::mutex> lock(s_->mu);
        color = s_->color;
      }
      if (path == "/onload") {
        resp.setContentType("text/html; charset=utf-8");
        body =
            "<!doctype html><html><head><style>html,body{margin:0;height:100%;background:"
            "#ff00ff}</style></head><body><script>addEventListener('load',()=>{"
            "document.body.style.background='" +
            color + "'})</script></body></html>";
      } else if (path == "/pixel.svg") {
        resp.setContentType("image/svg+xml");
        body =
            "<svg xmlns='http://www.w3.org/2000/svg' width='4' height='4'>"
            "<rect width='4' height='4' fill='#fff'/></svg>";
      } else {
        resp.setContentType("text/html; charset=utf-8");
        body =
            "<!doctype html><html><head><title>test</title><style>html,body{margin:0;"
            "height:100%;background:" +
            color +
            "}img{position:absolute;left:0;top:0}</style></head><body>"
            "<img src='/pixel.svg'>";
        if (!s_->foreign_origin.empty()) {
          body += "<img src='" + s_->foreign_origin + "/foreign.svg'>";
        }
        body += "</body></html>";
      }
      resp.setContentLength(static_cast<std::streamsize>(body.size()));
      resp.send() << body;
    }

   private:
    std::shared_ptr<State> s_;
  };

  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(std::shared_ptr<State> s) : s_(std::move(s)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(s_);
    }

   private:
    std::shared_ptr<State> s_;
  };

  std::shared_ptr<State> state_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

// A loopback URL that refuses connections: its port is held bound and never listened on, so
// no other test's server can take it meanwhile (a closed server's port could be, under
// parallel ctest: seen once, and the "unreachable" page answered).
class RefusingUrl {
 public:
  RefusingUrl() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      throw std::runtime_error("RefusingUrl: cannot hold a loopback port");
    }
    url_ = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/";
  }
  ~RefusingUrl() { close(fd_); }
  RefusingUrl(const RefusingUrl&) = delete;
  RefusingUrl& operator=(const RefusingUrl&) = delete;
  const std::string& url() const { return url_; }

 private:
  int fd_ = -1;
  std::string url_;
};

}  // namespace ccci::testing
