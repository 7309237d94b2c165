#include "supervisor/state_store.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "supervisor/json_fields.h"

namespace ccci::supervisor {
namespace {

// watchdog.json, in the order it is written.
const JsonField<WatchdogInfo> kWatchdogFields[] = {
    CCCI_JSON_FIELD(WatchdogInfo, pid),
    CCCI_JSON_FIELD(WatchdogInfo, phase_file),
    CCCI_JSON_FIELD(WatchdogInfo, phase_index),
    CCCI_JSON_FIELD(WatchdogInfo, phase_count),
    CCCI_JSON_FIELD(WatchdogInfo, all_done),
    CCCI_JSON_FIELD(WatchdogInfo, checked_at_ms),
    CCCI_JSON_FIELD(WatchdogInfo, last_commit),
    CCCI_JSON_FIELD(WatchdogInfo, plan_source),
    CCCI_JSON_FIELD(WatchdogInfo, check_failures),
    CCCI_JSON_FIELD(WatchdogInfo, check_error),
    CCCI_JSON_FIELD(WatchdogInfo, next_check_ms),
};

}  // namespace

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status StateStore::Init() const {
  std::error_code ec;
  std::filesystem::create_directories(dir_ + "/logs", ec);
  if (ec) return Internal("mkdir " + dir_ + "/logs: " + ec.message());
  return Status::Ok();
}

Status StateStore::SaveLoop(const LoopState& s) const {
  return WriteFileAtomically(LoopPath(s.name), LoopStateToJson(s));
}

Result<LoopState> StateStore::LoadLoop(const std::string& loop) const {
  Result<std::string> text = ReadWholeFile(LoopPath(loop));
  if (!text.ok()) return text.status();
  Result<LoopState> s = LoopStateFromJson(*text);
  if (s.ok()) s->name = loop;
  return s;
}

Want StateStore::ReadWant(const std::string& loop) const {
  Want w;
  Result<std::string> text = ReadWholeFile(dir_ + "/" + loop + ".want");
  if (!text.ok()) return w;
  std::istringstream in(*text);
  std::string verb;
  in >> verb >> w.generation;
  w.run = verb == "run";
  return w;
}

Status StateStore::WriteWant(const std::string& loop, bool run) const {
  Want old = ReadWant(loop);
  return WriteFileAtomically(
      dir_ + "/" + loop + ".want",
      std::string(run ? "run " : "stop ") + std::to_string(old.generation + 1) + "\n");
}

Status StateStore::SaveWatchdog(const WatchdogInfo& info) const {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  PutFields(w, info, kWatchdogFields);
  w.EndObject();
  return WriteFileAtomically(dir_ + "/watchdog.json", std::string(buf.GetString()) + "\n");
}

WatchdogInfo StateStore::LoadWatchdog() const {
  WatchdogInfo info;
  Result<std::string> text = ReadWholeFile(dir_ + "/watchdog.json");
  if (!text.ok()) return info;
  rapidjson::Document d;
  d.Parse(text->c_str());
  if (d.HasParseError() || !d.IsObject()) return info;
  GetFields(d, &info, kWatchdogFields);
  return info;
}

}  // namespace ccci::supervisor
