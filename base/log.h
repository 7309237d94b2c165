#pragma once
// One line per event, logfmt, to stderr (or a sink a test installs):
//   ts=2026-07-20T09:14:03.120Z level=info event=delivery.accepted delivery=3f2a repo=o/r pr=17
// Field names are stable: event, delivery, repo, pr, run, sha, reason, status, ... so
// operators can grep and ship them. Never pass a secret as a field value.

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace ccci {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v ? v : "") {}
  LogField(std::string_view k, long long v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, long v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, int v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, unsigned long v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, unsigned v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, double v);
  LogField(std::string_view k, bool v) : key(k), value(v ? "true" : "false") {}
  std::string_view key;
  std::string value;
};

// Formats one logfmt line (without the trailing newline). Values with spaces, quotes,
// '=' or control characters are quoted and escaped, so a line is always one line. Every key
// appears once (log tools keep only one of two): a field that repeats ts, level, event or an
// earlier field is written as <key>_2 (then _3, ...), so nothing is lost; callers should
// not rely on that and pick distinct names.
std::string FormatLogLine(std::string_view ts, LogLevel level, std::string_view event,
                          std::initializer_list<LogField> fields);

// Thread-safe. Lines below the minimum level are dropped.
void Log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});
inline void LogInfo(std::string_view event, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kInfo, event, fields);
}
inline void LogWarn(std::string_view event, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kWarn, event, fields);
}
inline void LogError(std::string_view event, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kError, event, fields);
}

void SetLogLevel(LogLevel level);
// Parses "debug", "info", "warn", "error". Returns false on anything else.
bool ParseLogLevel(std::string_view text, LogLevel* out);
// Replaces where lines go (default: stderr). Pass nullptr to restore stderr. For tests.
void SetLogSink(std::function<void(const std::string& line)> sink);

}  // namespace ccci
