#pragma once
// A test client that talks to cc-ci over a real socket the way Gitea does: POST with the
// headers of shared/gitea/FACTS.md 1.2, signed with HMAC-SHA256 over the raw body.

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <cstdio>
#include <sstream>
#include <string>

#include "bot/intake/signature.h"

namespace ccci::testing {

struct HttpResult {
  int status = 0;
  std::string body;
};

inline HttpResult SendRequest(Poco::Net::HTTPClientSession& session, Poco::Net::HTTPRequest& req,
                              const std::string& body = "") {
  if (!body.empty() || req.getMethod() == "POST") {
    req.setContentLength64(static_cast<Poco::Int64>(body.size()));
  }
  std::ostream& out = session.sendRequest(req);
  out << body;
  Poco::Net::HTTPResponse resp;
  std::istream& in = session.receiveResponse(resp);
  HttpResult r;
  r.status = resp.getStatus();
  std::ostringstream ss;
  Poco::StreamCopier::copyStream(in, ss);
  r.body = ss.str();
  return r;
}

inline HttpResult Get(Poco::Net::HTTPClientSession& session, const std::string& path) {
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, path,
                             Poco::Net::HTTPMessage::HTTP_1_1);
  return SendRequest(session, req);
}

inline HttpResult Get(uint16_t port, const std::string& path) {
  Poco::Net::HTTPClientSession s("127.0.0.1", port);
  s.setTimeout(Poco::Timespan(10, 0));
  return Get(s, path);
}

inline HttpResult PostWebhook(Poco::Net::HTTPClientSession& session, const std::string& event,
                              const std::string& body, const std::string& delivery,
                              const std::string& secret, const std::string& event_type = "") {
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, "/hooks/gitea",
                             Poco::Net::HTTPMessage::HTTP_1_1);
  req.setContentType("application/json");
  req.set("X-Gitea-Event", event);
  req.set("X-Gitea-Event-Type", event_type.empty() ? event : event_type);
  if (!delivery.empty()) req.set("X-Gitea-Delivery", delivery);
  std::string sig = HmacSha256Hex(secret, body);
  req.set("X-Gitea-Signature", sig);
  req.set("X-Hub-Signature-256", "sha256=" + sig);
  req.set("User-Agent", "Go-http-client/1.1");
  return SendRequest(session, req, body);
}

inline HttpResult PostWebhook(uint16_t port, const std::string& event, const std::string& body,
                              const std::string& delivery, const std::string& secret) {
  Poco::Net::HTTPClientSession s("127.0.0.1", port);
  s.setTimeout(Poco::Timespan(10, 0));
  return PostWebhook(s, event, body, delivery, secret);
}

// A 40-digit head sha made of the number `n`, one per PR of a flood.
inline std::string NumberedSha(int n) {
  char sha[41];
  snprintf(sha, sizeof(sha), "%040d", n);
  return sha;
}

// A pull_request "synchronized" body for `repo`#`pr` at `sha`, built from the real payload.
inline std::string SyncBody(const std::string& fixture, int pr, const std::string& sha) {
  std::string s = fixture;
  auto replace_all = [&](const std::string& from, const std::string& to) {
    for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
      s.replace(p, from.size(), to);
    }
  };
  replace_all("c3a1f7e9d2b4c6a8e0f1d3b5a7c9e1f2a4b6c8d0", sha);
  replace_all("\"number\": 17,", "\"number\": " + std::to_string(pr) + ",");
  return s;
}

}  // namespace ccci::testing
