#include "renderer/devtools_client.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/WebSocket.h>
#include <Poco/URI.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace ccci::render {

using Clock = std::chrono::steady_clock;

std::string JsonQuote(const std::string& s) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return buf.GetString();
}

std::string StringField(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject()) return "";
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

DevToolsConnection::DevToolsConnection() = default;

DevToolsConnection::~DevToolsConnection() { Close(); }

Status DevToolsConnection::Connect(const std::string& ws_url) {
  try {
    Poco::URI uri(ws_url);
    session_ = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, uri.getPathEtc(),
                               Poco::Net::HTTPRequest::HTTP_1_1);
    Poco::Net::HTTPResponse resp;
    ws_ = std::make_unique<Poco::Net::WebSocket>(*session_, req, resp);
    ws_->setMaxPayloadSize(64 << 20);
  } catch (const Poco::Exception& e) {
    return Unavailable("cannot connect to chromium's devtools: " + e.displayText());
  }
  return Status::Ok();
}

void DevToolsConnection::Close() {
  try {
    ws_.reset();
  } catch (...) {
  }
}

Result<int> DevToolsClient::Send(const std::string& method, const std::string& params,
                                 const std::string& session_id) {
  int id = c_->next_id_++;
  std::string msg = "{\"id\":" + std::to_string(id) + ",\"method\":" + JsonQuote(method) +
                    ",\"params\":" + (params.empty() ? "{}" : params);
  if (!session_id.empty()) msg += ",\"sessionId\":" + JsonQuote(session_id);
  msg += "}";
  try {
    c_->ws_->sendFrame(msg.data(), static_cast<int>(msg.size()), Poco::Net::WebSocket::FRAME_TEXT);
  } catch (const Poco::Exception& e) {
    c_->broken_ = true;
    return Unavailable("devtools send: " + e.displayText());
  }
  return id;
}

Result<rapidjson::Document> DevToolsClient::Next() {
  std::string text;
  Poco::Buffer<char> buf(0);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline_ - Clock::now());
    if (left.count() <= 0) return Status(Code::kDeadlineExceeded, "screenshot timed out");
    int flags = 0;
    int n = 0;
    try {
      c_->ws_->setReceiveTimeout(Poco::Timespan(left.count()));
      buf.resize(0);
      n = c_->ws_->receiveFrame(buf, flags);
    } catch (const Poco::TimeoutException&) {
      return Status(Code::kDeadlineExceeded, "screenshot timed out");
    } catch (const Poco::Exception& e) {
      c_->broken_ = true;
      return Unavailable("devtools receive: " + e.displayText());
    }
    int op = flags & Poco::Net::WebSocket::FRAME_OP_BITMASK;
    if (op == Poco::Net::WebSocket::FRAME_OP_CLOSE || (n == 0 && flags == 0)) {
      c_->broken_ = true;
      return Unavailable("browser closed the devtools connection");
    }
    if (op == Poco::Net::WebSocket::FRAME_OP_PING || op == Poco::Net::WebSocket::FRAME_OP_PONG) {
      continue;
    }
    text.append(buf.begin(), static_cast<size_t>(n));
    if (flags & Poco::Net::WebSocket::FRAME_FLAG_FIN) break;
  }
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    c_->broken_ = true;
    return Internal("devtools sent a message that is not a JSON object");
  }
  return doc;
}

Result<rapidjson::Document> DevToolsClient::Call(const std::string& method,
                                                 const std::string& params,
                                                 const std::string& session_id,
                                                 const EventHandler& on_event) {
  auto id = Send(method, params, session_id);
  if (!id.ok()) return id.status();
  for (;;) {
    auto msg = Next();
    if (!msg.ok()) return msg.status();
    rapidjson::Document& d = *msg;
    if (d.HasMember("id") && d["id"].IsInt()) {
      if (d["id"].GetInt() != *id) continue;  // a reply to a fire-and-forget command
      if (d.HasMember("error")) {
        std::string m = d["error"].HasMember("message") && d["error"]["message"].IsString()
                            ? d["error"]["message"].GetString()
                            : "error";
        return Internal(method + ": " + m);
      }
      rapidjson::Document result;
      if (d.HasMember("result"))
        result.CopyFrom(d["result"], result.GetAllocator());
      else
        result.SetObject();
      return result;
    }
    if (on_event) on_event(d);
  }
}

}  // namespace ccci::render
