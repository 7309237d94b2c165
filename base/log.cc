#include "base/log.h"

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdio>
#include <list>
#include <mutex>
#include <vector>

#include "base/clock.h"

namespace ccci {
namespace {

std::atomic<int> g_min_level{static_cast<int>(LogLevel::kInfo)};
std::mutex g_mu;
std::function<void(const std::string&)>* g_sink = nullptr;

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

bool NeedsQuoting(std::string_view v) {
  if (v.empty()) return true;
  for (unsigned char c : v) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) return true;
  }
  return false;
}

void AppendValue(std::string& out, std::string_view v) {
  if (!NeedsQuoting(v)) {
    out.append(v);
    return;
  }
  out.push_back('"');
  for (unsigned char c : v) {
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          snprintf(buf, sizeof(buf), "\\x%02x", c);
          out.append(buf);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

}  // namespace

LogField::LogField(std::string_view k, double v) : key(k) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%.3f", v);
  value = buf;
}

std::string FormatLogLine(std::string_view ts, LogLevel level, std::string_view event,
                          std::initializer_list<LogField> fields) {
  std::string line;
  line.reserve(160);
  line.append("ts=").append(ts);
  line.append(" level=").append(LevelName(level));
  line.append(" event=");
  AppendValue(line, event);
  // The keys so far, to rename a repeated one ("pr_2"). Views into `fields` or `renamed`,
  // a list so that a rename (rare) never moves the earlier ones.
  std::vector<std::string_view> keys;
  keys.reserve(3 + fields.size());
  keys.insert(keys.end(), {"ts", "level", "event"});
  std::list<std::string> renamed;
  for (const LogField& f : fields) {
    std::string_view key = f.key;
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) {
      std::string k;
      for (int n = 2;; ++n) {
        k = std::string(f.key) + "_" + std::to_string(n);
        if (std::find(keys.begin(), keys.end(), k) == keys.end()) break;
      }
      key = renamed.emplace_back(std::move(k));
    }
    line.push_back(' ');
    line.append(key);
    line.push_back('=');
    AppendValue(line, f.value);
    keys.push_back(key);
  }
  return line;
}

namespace {

// Now, as FormatRfc3339Millis writes it; the part up to the seconds is formatted once a
// second per thread (gmtime and strftime showed in profiles of the webhook intake).
std::string NowText() {
  int64_t ms = RealClock()->NowUnixMillis();
  int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  int millis = static_cast<int>(ms - secs * 1000);
  thread_local int64_t cached_secs = INT64_MIN;
  thread_local std::string cached;  // "2006-01-02T15:04:05"
  if (secs != cached_secs) {
    cached = FormatRfc3339Millis(secs * 1000);
    cached.resize(cached.size() - 5);  // without ".000Z"
    cached_secs = secs;
  }
  std::string out;
  out.reserve(cached.size() + 5);
  out.append(cached);
  char tail[6] = {'.',
                  static_cast<char>('0' + millis / 100),
                  static_cast<char>('0' + millis / 10 % 10),
                  static_cast<char>('0' + millis % 10),
                  'Z',
                  0};
  out.append(tail, 5);
  return out;
}

}  // namespace

void Log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  if (static_cast<int>(level) < g_min_level.load(std::memory_order_relaxed)) return;
  std::string line = FormatLogLine(NowText(), level, event, fields);
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_sink) {
    (*g_sink)(line);
    return;
  }
  line.push_back('\n');
  fwrite(line.data(), 1, line.size(), stderr);
}

void SetLogLevel(LogLevel level) { g_min_level.store(static_cast<int>(level)); }

bool ParseLogLevel(std::string_view text, LogLevel* out) {
  if (text == "debug") *out = LogLevel::kDebug;
  else if (text == "info") *out = LogLevel::kInfo;
  else if (text == "warn") *out = LogLevel::kWarn;
  else if (text == "error") *out = LogLevel::kError;
  else return false;
  return true;
}

void SetLogSink(std::function<void(const std::string&)> sink) {
  std::lock_guard<std::mutex> lock(g_mu);
  delete g_sink;
  g_sink = sink ? new std::function<void(const std::string&)>(std::move(sink)) : nullptr;
}

}  // namespace ccci
