#include "supervisor/stream_event.h"

#include <rapidjson/document.h>

namespace ccci::supervisor {
namespace {

std::string Str(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject()) return "";
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || !it->value.IsString()) return "";
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

// The first text block of an assistant message, if any.
std::string AssistantText(const rapidjson::Value& doc) {
  auto msg = doc.FindMember("message");
  if (msg == doc.MemberEnd() || !msg->value.IsObject()) return "";
  auto content = msg->value.FindMember("content");
  if (content == msg->value.MemberEnd() || !content->value.IsArray()) return "";
  for (const auto& block : content->value.GetArray()) {
    std::string type = Str(block, "type");
    if (type == "text") return Str(block, "text");
    if (type == "tool_use") return "[tool " + Str(block, "name") + "]";
  }
  return "";
}

std::string OneLine(std::string s, size_t max_chars) {
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (s.size() > max_chars) s = s.substr(0, max_chars) + "...";
  return s;
}

}  // namespace

StreamEvent ParseStreamLine(std::string_view line) {
  StreamEvent ev;
  size_t first = line.find_first_not_of(" \t");
  if (first == std::string_view::npos || line[first] != '{') return ev;
  rapidjson::Document doc;
  doc.Parse(line.data() + first, line.size() - first);
  if (doc.HasParseError() || !doc.IsObject()) return ev;
  ev.kind = StreamEvent::Kind::kOtherJson;
  ev.session_id = Str(doc, "session_id");
  std::string type = Str(doc, "type");
  if (type == "system" && Str(doc, "subtype") == "init") {
    ev.kind = StreamEvent::Kind::kInit;
  } else if (type == "assistant") {
    ev.kind = StreamEvent::Kind::kAssistant;
  } else if (type == "user") {
    ev.kind = StreamEvent::Kind::kUser;
  } else if (type == "result") {
    ev.kind = StreamEvent::Kind::kResult;
    ev.subtype = Str(doc, "subtype");
    auto it = doc.FindMember("is_error");
    ev.is_error = it != doc.MemberEnd() && it->value.IsBool() && it->value.GetBool();
  } else if (type == "rate_limit_event") {
    ev.kind = StreamEvent::Kind::kRateLimit;
    auto info = doc.FindMember("rate_limit_info");
    if (info != doc.MemberEnd() && info->value.IsObject()) {
      ev.rate_limit_status = Str(info->value, "status");
      auto r = info->value.FindMember("resetsAt");
      if (r != info->value.MemberEnd()) {
        if (r->value.IsInt64()) {
          ev.resets_at_unix = r->value.GetInt64();
        } else if (r->value.IsNumber()) {
          ev.resets_at_unix = static_cast<int64_t>(r->value.GetDouble());
        }
      }
    }
  }
  return ev;
}

std::string SummarizeLine(std::string_view line, size_t max_chars) {
  StreamEvent ev = ParseStreamLine(line);
  if (ev.kind == StreamEvent::Kind::kText) return OneLine(std::string(line), max_chars);
  rapidjson::Document doc;
  doc.Parse(line.data(), line.size());
  switch (ev.kind) {
    case StreamEvent::Kind::kInit:
      return "init session " + ev.session_id;
    case StreamEvent::Kind::kAssistant:
      return OneLine("assistant: " + AssistantText(doc), max_chars);
    case StreamEvent::Kind::kUser:
      return "user: tool result";
    case StreamEvent::Kind::kResult:
      return OneLine(
          "result " + ev.subtype + (ev.is_error ? " (error): " : ": ") + Str(doc, "result"),
          max_chars);
    case StreamEvent::Kind::kRateLimit:
      return "rate limit " + ev.rate_limit_status +
             (ev.resets_at_unix ? " resets_at=" + std::to_string(*ev.resets_at_unix) : "");
    default:
      return OneLine(std::string(line), max_chars);
  }
}

}  // namespace ccci::supervisor
