// The "app" the fake abra deploys: a tiny HTTP server on a loopback port, started detached
// (like a container the swarm runs). Answers every GET with 200 and a small page naming the
// deployed version. Writes its port to --port-file once it listens.
//   fake_app --port-file FILE --version V
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace {

std::string g_version;

class Page : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& res) override {
    std::string body = "<!doctype html><html><head><title>fake app</title></head><body "
                       "style=\"background:#2a7;color:#fff;font:32px sans-serif\"><h1>fake app " +
                       g_version + "</h1><p>" + req.getURI() + "</p></body></html>";
    res.setContentType("text/html; charset=utf-8");
    res.setContentLength(static_cast<std::streamsize>(body.size()));
    res.send() << body;
  }
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new Page;
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::string port_file;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--port-file") port_file = argv[i + 1];
    if (a == "--version") g_version = argv[i + 1];
  }
  if (port_file.empty()) {
    fprintf(stderr, "usage: fake_app --port-file FILE --version V\n");
    return 2;
  }
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  Poco::Net::HTTPServer server(new Factory, socket, new Poco::Net::HTTPServerParams);
  server.start();
  {
    std::string tmp = port_file + ".tmp";
    std::ofstream(tmp) << socket.address().port() << "\n";
    rename(tmp.c_str(), port_file.c_str());
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  int sig = 0;
  sigwait(&set, &sig);
  server.stop();
  return 0;
}
