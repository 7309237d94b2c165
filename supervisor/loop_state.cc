#include "supervisor/loop_state.h"

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

namespace ccci::supervisor {
namespace {

const LoopPhase kPhases[] = {LoopPhase::kStopped,     LoopPhase::kRunning, LoopPhase::kBackoff,
                             LoopPhase::kRateLimited, LoopPhase::kFatal,   LoopPhase::kDone,
                             LoopPhase::kFinished,    LoopPhase::kFailed};

int64_t I64(const rapidjson::Value& v, const char* k) {
  auto it = v.FindMember(k);
  return it != v.MemberEnd() && it->value.IsInt64() ? it->value.GetInt64() : 0;
}
std::string Str(const rapidjson::Value& v, const char* k) {
  auto it = v.FindMember(k);
  return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}
bool Bool(const rapidjson::Value& v, const char* k) {
  auto it = v.FindMember(k);
  return it != v.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}

}  // namespace

const char* LoopPhaseName(LoopPhase p) {
  switch (p) {
    case LoopPhase::kStopped:
      return "stopped";
    case LoopPhase::kRunning:
      return "running";
    case LoopPhase::kBackoff:
      return "backoff";
    case LoopPhase::kRateLimited:
      return "rate_limited";
    case LoopPhase::kFatal:
      return "fatal";
    case LoopPhase::kDone:
      return "done";
    case LoopPhase::kFinished:
      return "finished";
    case LoopPhase::kFailed:
      return "failed";
  }
  return "unknown";
}

std::string LoopStateToJson(const LoopState& s) {
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("name");
  w.String(s.name.c_str());
  w.Key("state");
  w.String(LoopPhaseName(s.phase));
  w.Key("pid");
  w.Int(s.agent.pid);
  w.Key("start_ticks");
  w.Uint64(s.agent.start_ticks);
  w.Key("output_path");
  w.String(s.agent.output_path.c_str());
  w.Key("output_offset");
  w.Int64(s.agent.offset);
  w.Key("session_id");
  w.String(s.session_id.c_str());
  w.Key("iteration");
  w.Int(s.iteration);
  w.Key("restarts");
  w.Int(s.restarts);
  w.Key("heals");
  w.Int(s.heals);
  w.Key("backoff_level");
  w.Int(s.backoff_level);
  w.Key("crash_times_ms");
  w.StartArray();
  for (int64_t t : s.crash_times_ms) w.Int64(t);
  w.EndArray();
  w.Key("started_at_ms");
  w.Int64(s.started_at_ms);
  w.Key("last_output_at_ms");
  w.Int64(s.last_output_at_ms);
  w.Key("result_at_ms");
  w.Int64(s.result_at_ms);
  w.Key("result_is_error");
  w.Bool(s.result_is_error);
  w.Key("rate_limit_until_ms");
  w.Int64(s.rate_limit_until_ms);
  w.Key("wait_until_ms");
  w.Int64(s.wait_until_ms);
  w.Key("resume_next");
  w.Bool(s.resume_next);
  w.Key("restart_pending");
  w.Bool(s.restart_pending);
  w.Key("resumed");
  w.Bool(s.resumed);
  w.Key("init_seen");
  w.Bool(s.init_seen);
  w.Key("want_generation");
  w.Int(s.want_generation);
  w.Key("last_output");
  w.String(s.last_output.c_str());
  w.Key("last_reason");
  w.String(s.last_reason.c_str());
  w.Key("resume_refused");
  w.Bool(s.resume_refused);
  w.Key("session_note");
  w.String(s.session_note.c_str());
  w.Key("exit_code");
  w.Int(s.exit_code);
  w.Key("boot_id");
  w.String(s.agent.boot_id.c_str());
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize()) + "\n";
}

Result<LoopState> LoopStateFromJson(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.c_str(), json.size());
  if (d.HasParseError() || !d.IsObject()) return InvalidArgument("loop state is not JSON");
  LoopState s;
  s.name = Str(d, "name");
  std::string phase = Str(d, "state");
  bool known = false;
  for (LoopPhase p : kPhases) {
    if (phase == LoopPhaseName(p)) {
      s.phase = p;
      known = true;
    }
  }
  if (!known) return InvalidArgument("unknown loop state: " + phase);
  s.agent.pid = static_cast<int>(I64(d, "pid"));
  auto st = d.FindMember("start_ticks");
  if (st != d.MemberEnd() && st->value.IsUint64()) s.agent.start_ticks = st->value.GetUint64();
  s.agent.output_path = Str(d, "output_path");
  s.agent.offset = I64(d, "output_offset");
  s.session_id = Str(d, "session_id");
  s.iteration = static_cast<int>(I64(d, "iteration"));
  s.restarts = static_cast<int>(I64(d, "restarts"));
  s.heals = static_cast<int>(I64(d, "heals"));
  s.backoff_level = static_cast<int>(I64(d, "backoff_level"));
  auto ct = d.FindMember("crash_times_ms");
  if (ct != d.MemberEnd() && ct->value.IsArray()) {
    for (const auto& v : ct->value.GetArray()) {
      if (v.IsInt64()) s.crash_times_ms.push_back(v.GetInt64());
    }
  }
  s.started_at_ms = I64(d, "started_at_ms");
  s.last_output_at_ms = I64(d, "last_output_at_ms");
  s.result_at_ms = I64(d, "result_at_ms");
  s.result_is_error = Bool(d, "result_is_error");
  s.rate_limit_until_ms = I64(d, "rate_limit_until_ms");
  s.wait_until_ms = I64(d, "wait_until_ms");
  s.resume_next = Bool(d, "resume_next");
  s.restart_pending = Bool(d, "restart_pending");
  s.resumed = Bool(d, "resumed");
  s.init_seen = Bool(d, "init_seen");
  s.want_generation = static_cast<int>(I64(d, "want_generation"));
  s.last_output = Str(d, "last_output");
  s.last_reason = Str(d, "last_reason");
  s.resume_refused = Bool(d, "resume_refused");
  s.session_note = Str(d, "session_note");
  auto ec = d.FindMember("exit_code");
  s.exit_code = ec != d.MemberEnd() && ec->value.IsInt() ? ec->value.GetInt() : -1;
  s.agent.boot_id = Str(d, "boot_id");
  return s;
}

}  // namespace ccci::supervisor
