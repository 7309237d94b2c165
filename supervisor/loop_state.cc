#include "supervisor/loop_state.h"

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "supervisor/json_fields.h"

namespace ccci::supervisor {
namespace {

// Each phase with the name it has in the state file and in `status`.
constexpr struct {
  LoopPhase phase;
  const char* name;
} kPhaseNames[] = {{LoopPhase::kStopped, "stopped"},   {LoopPhase::kRunning, "running"},
                   {LoopPhase::kBackoff, "backoff"},   {LoopPhase::kRateLimited, "rate_limited"},
                   {LoopPhase::kFatal, "fatal"},       {LoopPhase::kDone, "done"},
                   {LoopPhase::kFinished, "finished"}, {LoopPhase::kFailed, "failed"}};

}  // namespace

const char* LoopPhaseName(LoopPhase p) {
  for (const auto& row : kPhaseNames) {
    if (row.phase == p) return row.name;
  }
  return "unknown";
}

std::string LoopStateToJson(const LoopState& s) {
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  PutField(w, "name", s.name);
  PutField(w, "state", LoopPhaseName(s.phase));
  PutField(w, "pid", s.agent.pid);
  PutField(w, "start_ticks", s.agent.start_ticks);
  PutField(w, "output_path", s.agent.output_path);
  PutField(w, "output_offset", s.agent.offset);
  PutField(w, "session_id", s.session_id);
  PutField(w, "iteration", s.iteration);
  PutField(w, "restarts", s.restarts);
  PutField(w, "heals", s.heals);
  PutField(w, "backoff_level", s.backoff_level);
  w.Key("crash_times_ms");
  w.StartArray();
  for (int64_t t : s.crash_times_ms) w.Int64(t);
  w.EndArray();
  PutField(w, "started_at_ms", s.started_at_ms);
  PutField(w, "last_output_at_ms", s.last_output_at_ms);
  PutField(w, "result_at_ms", s.result_at_ms);
  PutField(w, "result_is_error", s.result_is_error);
  PutField(w, "rate_limit_until_ms", s.rate_limit_until_ms);
  PutField(w, "wait_until_ms", s.wait_until_ms);
  PutField(w, "resume_next", s.resume_next);
  PutField(w, "restart_pending", s.restart_pending);
  PutField(w, "resumed", s.resumed);
  PutField(w, "init_seen", s.init_seen);
  PutField(w, "want_generation", s.want_generation);
  PutField(w, "last_output", s.last_output);
  PutField(w, "last_reason", s.last_reason);
  PutField(w, "resume_refused", s.resume_refused);
  PutField(w, "session_note", s.session_note);
  PutField(w, "exit_code", s.exit_code);
  PutField(w, "boot_id", s.agent.boot_id);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize()) + "\n";
}

Result<LoopState> LoopStateFromJson(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.c_str(), json.size());
  if (d.HasParseError() || !d.IsObject()) return InvalidArgument("loop state is not JSON");
  LoopState s;
  s.name = StrField(d, "name");
  std::string phase = StrField(d, "state");
  bool known = false;
  for (const auto& row : kPhaseNames) {
    if (phase == row.name) {
      s.phase = row.phase;
      known = true;
    }
  }
  if (!known) return InvalidArgument("unknown loop state: " + phase);
  s.agent.pid = static_cast<int>(IntField(d, "pid"));
  auto st = d.FindMember("start_ticks");
  if (st != d.MemberEnd() && st->value.IsUint64()) s.agent.start_ticks = st->value.GetUint64();
  s.agent.output_path = StrField(d, "output_path");
  s.agent.offset = IntField(d, "output_offset");
  s.session_id = StrField(d, "session_id");
  s.iteration = static_cast<int>(IntField(d, "iteration"));
  s.restarts = static_cast<int>(IntField(d, "restarts"));
  s.heals = static_cast<int>(IntField(d, "heals"));
  s.backoff_level = static_cast<int>(IntField(d, "backoff_level"));
  auto ct = d.FindMember("crash_times_ms");
  if (ct != d.MemberEnd() && ct->value.IsArray()) {
    for (const auto& v : ct->value.GetArray()) {
      if (v.IsInt64()) s.crash_times_ms.push_back(v.GetInt64());
    }
  }
  s.started_at_ms = IntField(d, "started_at_ms");
  s.last_output_at_ms = IntField(d, "last_output_at_ms");
  s.result_at_ms = IntField(d, "result_at_ms");
  s.result_is_error = BoolField(d, "result_is_error");
  s.rate_limit_until_ms = IntField(d, "rate_limit_until_ms");
  s.wait_until_ms = IntField(d, "wait_until_ms");
  s.resume_next = BoolField(d, "resume_next");
  s.restart_pending = BoolField(d, "restart_pending");
  s.resumed = BoolField(d, "resumed");
  s.init_seen = BoolField(d, "init_seen");
  s.want_generation = static_cast<int>(IntField(d, "want_generation"));
  s.last_output = StrField(d, "last_output");
  s.last_reason = StrField(d, "last_reason");
  s.resume_refused = BoolField(d, "resume_refused");
  s.session_note = StrField(d, "session_note");
  auto ec = d.FindMember("exit_code");
  s.exit_code = ec != d.MemberEnd() && ec->value.IsInt() ? ec->value.GetInt() : -1;
  s.agent.boot_id = StrField(d, "boot_id");
  return s;
}

}  // namespace ccci::supervisor
