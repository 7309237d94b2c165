#pragma once
// A fake of the swarm's reverse proxy (traefik) for runner tests: a loopback HTTP server that
// routes by Host header to an app on 127.0.0.1: for the fake abra, the app it deployed for
// that domain ($FAKE_SWARM_DIR/routes/<domain> holds the app's port); on the real-swarm lane,
// the port a route function finds (tests/swarm/swarm_proxy.cc). Unknown host: 404 "404 page
// not found", as traefik answers; an app that is down: 502. The runner reaches it through
// `connect_to = ::127.0.0.1:<port>`, as a single-node CI reaches its local proxy.

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>

#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>

namespace ccci::testing {

class FakeProxy {
 public:
  // `route` gives the app's port on 127.0.0.1 for a Host, 0 when none serves it.
  explicit FakeProxy(std::function<int(const std::string& host)> route)
      : route_(std::move(route)) {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    port_ = socket.address().port();
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(this), socket,
                                                      new Poco::Net::HTTPServerParams);
    server_->start();
  }
  explicit FakeProxy(const std::string& swarm_dir)
      : FakeProxy([swarm_dir](const std::string& host) {
          std::ifstream route(swarm_dir + "/routes/" + host);
          int port = 0;
          return (route >> port) ? port : 0;
        }) {}
  ~FakeProxy() { server_->stopAll(true); }
  int port() const { return port_; }

 private:
  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(FakeProxy* p) : p_(p) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req,
                       Poco::Net::HTTPServerResponse& res) override {
      std::string host = req.getHost();
      host = host.substr(0, host.find(':'));
      int port = p_->route_(host);
      if (port <= 0) return Send(res, 404, "404 page not found\n");
      try {
        Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port));
        s.setTimeout(Poco::Timespan(5, 0));
        Poco::Net::HTTPRequest fwd(req.getMethod(), req.getURI(), Poco::Net::HTTPMessage::HTTP_1_1);
        fwd.setHost(host);
        s.sendRequest(fwd);
        Poco::Net::HTTPResponse up;
        std::istream& in = s.receiveResponse(up);
        std::ostringstream body;
        Poco::StreamCopier::copyStream(in, body);
        res.setContentType(up.getContentType());
        Send(res, up.getStatus(), body.str());
      } catch (const Poco::Exception&) {
        Send(res, 502, "Bad Gateway\n");
      }
    }

   private:
    static void Send(Poco::Net::HTTPServerResponse& res, int code, const std::string& body) {
      res.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(code));
      res.setContentLength(static_cast<std::streamsize>(body.size()));
      res.send() << body;
    }
    FakeProxy* p_;
  };
  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(FakeProxy* p) : p_(p) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
      return new Handler(p_);
    }

   private:
    FakeProxy* p_;
  };

  std::function<int(const std::string& host)> route_;
  int port_ = 0;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

}  // namespace ccci::testing
