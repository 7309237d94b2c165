#pragma once
// A Server-Sent Events client for the live log stream (bot/http/log_stream.h): one GET, then
// the events as they arrive.

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <rapidjson/document.h>

#include <istream>
#include <optional>
#include <string>

namespace ccci::testing {

struct Event {
  std::string event;  // "" for a message
  std::string id;
  std::string data;
};

// A Server-Sent Events client: one GET, then events as they arrive.
class SseClient {
 public:
  SseClient(uint16_t port, const std::string& path, const std::string& last_event_id = "")
      : session_("127.0.0.1", port) {
    session_.setTimeout(Poco::Timespan(5, 0));
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, path,
                               Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("Accept", "text/event-stream");
    if (!last_event_id.empty()) req.set("Last-Event-ID", last_event_id);
    session_.sendRequest(req);
    in_ = &session_.receiveResponse(resp_);
  }
  int status() const { return resp_.getStatus(); }
  std::string content_type() const { return resp_.getContentType(); }

  // The next event (comments and retry-only blocks skipped); nullopt when the stream ends or
  // nothing comes within the timeout.
  std::optional<Event> Next() {
    Event e;
    bool any = false;
    std::string line;
    try {
      while (std::getline(*in_, line)) {
        if (line.empty()) {
          if (any) return e;
          continue;
        }
        if (line[0] == ':' || line.rfind("retry:", 0) == 0) continue;
        any = true;
        if (line.rfind("event: ", 0) == 0)
          e.event = line.substr(7);
        else if (line.rfind("id: ", 0) == 0)
          e.id = line.substr(4);
        else if (line.rfind("data: ", 0) == 0)
          e.data += line.substr(6);
      }
    } catch (const Poco::Exception&) {
    }
    return std::nullopt;
  }

 private:
  Poco::Net::HTTPClientSession session_;
  Poco::Net::HTTPResponse resp_;
  std::istream* in_ = nullptr;
};

// The bytes a message carries (its data is a JSON string).
inline std::string Bytes(const Event& e) {
  rapidjson::Document d;
  d.Parse(e.data.c_str(), e.data.size());
  if (d.HasParseError() || !d.IsString()) return "<not a JSON string: " + e.data + ">";
  return std::string(d.GetString(), d.GetStringLength());
}

}  // namespace ccci::testing
