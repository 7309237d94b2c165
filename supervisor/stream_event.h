#pragma once
// One line of an agent's output, classified. claude `--output-format stream-json --verbose`
// prints one JSON object per line:
//   {"type":"system","subtype":"init","session_id":"...",...}
//   {"type":"assistant","message":{...},"session_id":"..."}
//   {"type":"user","message":{...},"session_id":"..."}
//   {"type":"rate_limit_event","rate_limit_info":{"status":"rejected","resetsAt":1778565600,
//    "rateLimitType":"five_hour",...}}                      (resetsAt: Unix seconds)
//   {"type":"result","subtype":"success","is_error":false,"result":"...","session_id":"..."}
// opencode prints plain text; such lines (and any non-JSON line) are kText.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ccci::supervisor {

struct StreamEvent {
  enum class Kind { kText, kInit, kAssistant, kUser, kResult, kRateLimit, kOtherJson };
  Kind kind = Kind::kText;
  std::string session_id;  // when the line carries one
  // kResult:
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
