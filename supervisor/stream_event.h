#pragma once
// One line of an agent's output, classified. claude `--output-format stream-json --verbose`
// prints one JSON object per line:
//   {"type":"system","subtype":"init","session_id":"...",...}
//   {"type":"assistant","message":{...},"session_id":"..."}
//   {"type":"user","message":{...},"session_id":"..."}
//   {"type":"rate_limit_event","rate_limit_info":{"status":"rejected","resetsAt":1778565600,
//    "rateLimitType":"five_hour",...}}                      (resetsAt: Unix seconds)
//   {"type":"result","subtype":"success","is_error":false,"result":"...","session_id":"..."}
// Without a login claude (2.1) prints init, then an assistant line with "error":
// "authentication_failed" and the text "Not logged in · Please run /login", then a result
// with "is_error": true, and exits 1.
// opencode `run --format json` (1.18) prints one event per line, each with the session:
//   {"type":"step_start"|"text"|"reasoning"|"tool_use"|"step_finish","timestamp":...,
//    "sessionID":"ses_...","part":{...}}
//   {"type":"error","timestamp":...,"sessionID":"ses_...","error":{"name":"UnknownError",
//    "data":{"message":"..."}}}
// Any other line (plain text, an error on stderr) is kText.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ccci::supervisor {

struct StreamEvent {
  enum class Kind { kText, kInit, kAssistant, kUser, kResult, kRateLimit, kOtherJson };
  Kind kind = Kind::kText;
  std::string session_id;  // when the line carries one (claude session_id, opencode sessionID)
  // An opencode event (it has no init line: its first event names the session).
  bool opencode = false;
  // The login is missing or refused: claude's "error":"authentication_failed", opencode's
  // ProviderAuthError. Retrying cannot help. `message` says what the agent said.
  bool auth_failure = false;
  std::string message;  // the assistant's text or the error's message, when there is one
  // kResult (claude), or an opencode "error" event (is_error):
  bool is_error = false;
  std::string subtype;
  // kRateLimit: status "allowed", "allowed_warning" or "rejected"; only "rejected" blocks.
  std::string rate_limit_status;
  std::optional<int64_t> resets_at_unix;  // seconds
  bool Blocks() const { return kind == Kind::kRateLimit && rate_limit_status == "rejected"; }
};

StreamEvent ParseStreamLine(std::string_view line);

// A short human summary of a line for `status` ("assistant: I'll start by...").
std::string SummarizeLine(std::string_view line, size_t max_chars = 120);

}  // namespace ccci::supervisor
