#include "bot/runner/runtime_flags.h"

#include <rapidjson/document.h>

#include <map>
#include <sstream>

namespace ccci::runner {
namespace {

std::vector<std::string> Lines(std::string_view text) {
  std::vector<std::string> out;
  std::string s(text), line;
  std::istringstream in(s);
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

std::string Str(const rapidjson::Value& o, const char* k) {
  auto it = o.FindMember(k);
  return it != o.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

}  // namespace

Result<std::vector<StackTask>> ParseStackPs(std::string_view output) {
  std::vector<StackTask> tasks;
  for (const std::string& line : Lines(output)) {
    rapidjson::Document d;
    d.Parse(line.c_str());
    if (d.HasParseError() || !d.IsObject() || !d.HasMember("Name")) {
      return InvalidArgument("docker stack ps printed a line that is not a task: " +
                             line.substr(0, 120));
    }
    StackTask t;
    t.id = Str(d, "ID");
    t.name = Str(d, "Name");
    t.desired = Str(d, "DesiredState");
    std::string current = Str(d, "CurrentState");
    t.state = current.substr(0, current.find(' '));
    t.error = Str(d, "Error");
    if (t.error.size() >= 2 && t.error.front() == '"' && t.error.back() == '"') {
      t.error = t.error.substr(1, t.error.size() - 2);  // the formatter quotes it
    }
    tasks.push_back(std::move(t));
  }
  return tasks;
}

std::vector<Finding> TaskFlags(const std::vector<StackTask>& tasks) {
  std::map<std::string, int> per_slot;
  for (const StackTask& t : tasks) ++per_slot[t.name];
  std::vector<Finding> out;
  for (const StackTask& t : tasks) {
    std::string what;
    if (t.state == "Failed" || t.state == "Rejected" || t.state == "Orphaned") {
      what = "task " + t.name + " " +
             (t.state == "Failed"     ? "failed"
              : t.state == "Rejected" ? "was rejected"
                                      : "was orphaned");
    } else if (!t.error.empty()) {
      what = "task " + t.name + " ended with an error (" + t.state + ")";
    } else if (t.state == "Complete" && per_slot[t.name] > 1) {
      what = "task " + t.name + " exited and swarm restarted it";
    } else {
      continue;
    }
    if (!t.error.empty()) what += ": " + t.error;
    out.push_back({"", 0, what});
  }
  return out;
}

Result<std::vector<Finding>> OomFlags(std::string_view inspect_output) {
  std::vector<Finding> out;
  for (const std::string& line : Lines(inspect_output)) {
    size_t space = line.rfind(' ');
    std::string flag = space == std::string::npos ? "" : line.substr(space + 1);
    if (flag != "true" && flag != "false") {
      return InvalidArgument("docker inspect printed a line without OOMKilled: " +
                             line.substr(0, 120));
    }
    if (flag == "false") continue;
    std::string name = line.substr(0, space);
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
      name = name.substr(1, name.size() - 2);
    }
    if (!name.empty() && name.front() == '/') name.erase(0, 1);
    out.push_back({"", 0, "container " + name + " was killed for memory (OOMKilled)"});
  }
  return out;
}

}  // namespace ccci::runner
