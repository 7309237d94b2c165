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

// What an opencode event says: its text, the tool it runs, or its error.
std::string OpencodeSummary(const rapidjson::Value& doc, const StreamEvent& ev) {
  std::string type = Str(doc, "type");
  if (type == "error") return "error: " + ev.message;
  auto part = doc.FindMember("part");
  const rapidjson::Value* p = part != doc.MemberEnd() && part->value.IsObject() ? &part->value : nullptr;
  if (type == "text" && p) return "assistant: " + Str(*p, "text");
  if (type == "tool_use" && p) return "[tool " + Str(*p, "tool") + "]";
  if (type == "step_finish" && p && !Str(*p, "reason").empty()) return "step finished: " + Str(*p, "reason");
  return type;
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
  if (ev.session_id.empty() && !Str(doc, "sessionID").empty()) {
    ev.opencode = true;
    ev.session_id = Str(doc, "sessionID");
    if (type == "error") {
      ev.kind = StreamEvent::Kind::kResult;
      ev.is_error = true;
      auto err = doc.FindMember("error");
      if (err != doc.MemberEnd() && err->value.IsObject()) {
        ev.auth_failure = Str(err->value, "name") == "ProviderAuthError";
        auto data = err->value.FindMember("data");
        if (data != err->value.MemberEnd()) ev.message = Str(data->value, "message");
        if (ev.message.empty()) ev.message = Str(err->value, "name");
      }
    } else {
      ev.kind = StreamEvent::Kind::kAssistant;
    }
    return ev;
  }
  if (type == "system" && Str(doc, "subtype") == "init") {
    ev.kind = StreamEvent::Kind::kInit;
  } else if (type == "assistant") {
    ev.kind = StreamEvent::Kind::kAssistant;
    ev.message = AssistantText(doc);
    ev.auth_failure = Str(doc, "error") == "authentication_failed";
  } else if (type == "user") {
    ev.kind = StreamEvent::Kind::kUser;
  } else if (type == "result") {
    ev.kind = StreamEvent::Kind::kResult;
    ev.subtype = Str(doc, "subtype");
    ev.message = Str(doc, "result");
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
  if (ev.opencode) return OneLine(OpencodeSummary(doc, ev), max_chars);
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
