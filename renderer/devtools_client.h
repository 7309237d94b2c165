#pragma once
// One DevTools conversation with a browser over its loopback WebSocket (flattened sessions:
// a tab's commands carry its sessionId). Commands are numbered per connection; a reply is
// matched to its command by id, and events that arrive meanwhile go to a handler.

#include <rapidjson/document.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"

namespace Poco::Net {
class HTTPClientSession;
class WebSocket;
}  // namespace Poco::Net

namespace ccci::render {

// The open connection, kept for the browser's life. Not thread-safe.
class DevToolsConnection {
 public:
  DevToolsConnection();
  ~DevToolsConnection();
  // Connects to the browser's "ws://127.0.0.1:PORT/devtools/browser/ID".
  Status Connect(const std::string& ws_url);
  // Closes the WebSocket (a failure to close is of no interest: the browser goes next).
  void Close();
  // The connection is in an unknown state (a send or receive failed): restart before reuse.
  bool broken() const { return broken_; }
  void set_broken() { broken_ = true; }

 private:
  friend class DevToolsClient;
  std::unique_ptr<Poco::Net::HTTPClientSession> session_;
  std::unique_ptr<Poco::Net::WebSocket> ws_;
  int next_id_ = 1;
  bool broken_ = false;
};

// Commands and events on `connection` until `deadline`; a failed send or receive marks the
// connection broken.
class DevToolsClient {
 public:
  using EventHandler = std::function<void(const rapidjson::Document&)>;

  DevToolsClient(DevToolsConnection* connection, std::chrono::steady_clock::time_point deadline)
      : c_(connection), deadline_(deadline) {}

  // Sends a command without waiting for its reply; its id.
  Result<int> Send(const std::string& method, const std::string& params,
                   const std::string& session_id = "");
  // The next message (a reply or an event) before the deadline (else kDeadlineExceeded).
  Result<rapidjson::Document> Next();
  // Sends a command and returns its "result", passing events that arrive meanwhile to
  // `on_event`.
  Result<rapidjson::Document> Call(const std::string& method, const std::string& params,
                                   const std::string& session_id = "",
                                   const EventHandler& on_event = nullptr);

 private:
  DevToolsConnection* c_;
  std::chrono::steady_clock::time_point deadline_;
};

// `s` as a JSON string literal.
std::string JsonQuote(const std::string& s);
// The string member `name` of `v`; empty when there is none.
std::string StringField(const rapidjson::Value& v, const char* name);

}  // namespace ccci::render
