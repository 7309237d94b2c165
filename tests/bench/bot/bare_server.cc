// The yardstick for the ingest benchmark (issue 18): what Poco's HTTPServer, OpenSSL's HMAC
// and RapidJSON do bare on this machine, with no store, no metrics and no logging. It answers
// POST /hooks/gitea like cc-ci's intake does before persistence: read the body, check
// X-Gitea-Signature (HMAC-SHA256 over the raw bytes, constant time), parse the JSON, read the
// fields a pull_request delivery needs, answer 202. ingest.sh --compare runs it beside cc-ci
// on the same bodies, so the ratio is measured, not remembered.
//
// Usage: bare_server SECRET   (listens on 127.0.0.1:0, prints "listening on http://...")

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <rapidjson/document.h>

#include <csignal>
#include <cstdio>
#include <string>

namespace {

std::string g_secret;

bool SignatureOk(const std::string& body, const std::string& hex) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), g_secret.data(), static_cast<int>(g_secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  if (hex.size() != 2 * len) return false;
  unsigned char want[EVP_MAX_MD_SIZE];
  for (unsigned i = 0; i < len; ++i) {
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    want[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return CRYPTO_memcmp(mac, want, len) == 0;
}

void Answer(Poco::Net::HTTPServerResponse& resp, Poco::Net::HTTPResponse::HTTPStatus status,
            const std::string& text) {
  resp.setStatusAndReason(status);
  resp.setContentType("text/plain; charset=utf-8");
  resp.setContentLength(static_cast<std::streamsize>(text.size()));
  resp.send() << text;
}

class HookHandler : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    using S = Poco::Net::HTTPResponse;
    std::string body;
    if (req.hasContentLength()) body.reserve(static_cast<size_t>(req.getContentLength64()));
    char buf[16384];
    std::istream& in = req.stream();
    while (in) {
      in.read(buf, sizeof(buf));
      if (in.gcount() > 0) body.append(buf, static_cast<size_t>(in.gcount()));
    }
    if (!SignatureOk(body, req.get("X-Gitea-Signature", ""))) {
      return Answer(resp, S::HTTP_UNAUTHORIZED, "bad signature\n");
    }
    rapidjson::Document doc;
    doc.Parse(body.data(), body.size());
    if (doc.HasParseError() || !doc.IsObject()) return Answer(resp, S::HTTP_BAD_REQUEST, "bad json\n");
    auto pr = doc.FindMember("pull_request");
    auto repo = doc.FindMember("repository");
    if (pr == doc.MemberEnd() || repo == doc.MemberEnd() || !pr->value.IsObject()) {
      return Answer(resp, S::HTTP_BAD_REQUEST, "not a pull request\n");
    }
    auto head = pr->value.FindMember("head");
    if (head == pr->value.MemberEnd() || !head->value.IsObject() ||
        !head->value.HasMember("sha")) {
      return Answer(resp, S::HTTP_BAD_REQUEST, "no head\n");
    }
    Answer(resp, S::HTTP_ACCEPTED, "queued\n");
  }
};

class NotFound : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& resp) override {
    Answer(resp, Poco::Net::HTTPResponse::HTTP_NOT_FOUND, "not found\n");
  }
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest& req) override {
    if (req.getURI() == "/hooks/gitea") return new HookHandler;
    return new NotFound;
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: bare_server SECRET\n");
    return 2;
  }
  g_secret = argv[1];
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1:0"));
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(64);
  params->setKeepAlive(true);
  Poco::ThreadPool pool(2, 68);
  Poco::Net::HTTPServer server(new Factory, pool, socket, params);
  server.start();
  printf("listening on http://127.0.0.1:%u\n", static_cast<unsigned>(socket.address().port()));
  fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  server.stop();
  return 0;
}
