#include "supervisor/state_store.h"

#include <fcntl.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ccci::supervisor {

Status WriteFileAtomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Internal("open " + tmp + ": " + strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      close(fd);
      unlink(tmp.c_str());
      return Internal("write " + tmp + ": " + strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  fsync(fd);
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return Internal("rename " + tmp + ": " + strerror(errno));
  }
  return Status::Ok();
}

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
  w.Key("pid");
  w.Int(info.pid);
  w.Key("phase_file");
  w.String(info.phase_file.c_str());
  w.Key("phase_index");
  w.Int(info.phase_index);
  w.Key("phase_count");
  w.Int(info.phase_count);
  w.Key("all_done");
  w.Bool(info.all_done);
  w.Key("checked_at_ms");
  w.Int64(info.checked_at_ms);
  w.Key("last_commit");
  w.String(info.last_commit.c_str());
  w.Key("plan_source");
  w.String(info.plan_source.c_str());
  w.Key("check_failures");
  w.Int(info.check_failures);
  w.Key("check_error");
  w.String(info.check_error.c_str());
  w.Key("next_check_ms");
  w.Int64(info.next_check_ms);
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
  auto get_int = [&](const char* k) -> int64_t {
    auto it = d.FindMember(k);
    return it != d.MemberEnd() && it->value.IsInt64() ? it->value.GetInt64() : 0;
  };
  auto get_str = [&](const char* k) -> std::string {
    auto it = d.FindMember(k);
    return it != d.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
  };
  info.pid = static_cast<int>(get_int("pid"));
  info.phase_file = get_str("phase_file");
  info.phase_index = static_cast<int>(get_int("phase_index"));
  info.phase_count = static_cast<int>(get_int("phase_count"));
  auto done = d.FindMember("all_done");
  info.all_done = done != d.MemberEnd() && done->value.IsBool() && done->value.GetBool();
  info.checked_at_ms = get_int("checked_at_ms");
  info.last_commit = get_str("last_commit");
  info.plan_source = get_str("plan_source");
  info.check_failures = static_cast<int>(get_int("check_failures"));
  info.check_error = get_str("check_error");
  info.next_check_ms = get_int("next_check_ms");
  return info;
}


}  // namespace ccci::supervisor
