#include "bot/runner/env_assignments.h"

#include <cctype>

namespace ccci::runner {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string Value(std::string_view raw) {
  raw = Trim(raw);
  if (!raw.empty() && (raw.front() == '"' || raw.front() == '\'')) {
    size_t close = raw.find(raw.front(), 1);
    if (close != std::string_view::npos) return std::string(raw.substr(1, close - 1));
  }
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '#' && i > 0 && std::isspace(static_cast<unsigned char>(raw[i - 1]))) {
      raw = raw.substr(0, i);
      break;
    }
  }
  return std::string(Trim(raw));
}

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

}  // namespace

bool IsVariableName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

std::vector<EnvAssignment> ParseEnvAssignments(std::string_view text) {
  std::vector<EnvAssignment> out;
  int line_no = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    std::string_view line = text.substr(start, nl == std::string_view::npos ? nl : nl - start);
    start = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    std::string_view s = Trim(line);
    EnvAssignment a;
    a.line = line_no;
    if (!s.empty() && s.front() == '#') {
      a.commented = true;
      while (!s.empty() && s.front() == '#') s.remove_prefix(1);
      s = Trim(s);
    }
    if (s.substr(0, 7) == "export ") s = Trim(s.substr(7));
    size_t eq = s.find('=');
    if (eq == std::string_view::npos || !IsVariableName(s.substr(0, eq))) continue;
    a.name = std::string(s.substr(0, eq));
    a.value = Value(s.substr(eq + 1));
    out.push_back(std::move(a));
  }
  return out;
}

const EnvAssignment* FindSet(const std::vector<EnvAssignment>& all, const std::string& name) {
  const EnvAssignment* found = nullptr;
  for (const auto& a : all) {
    if (!a.commented && a.name == name) found = &a;
  }
  return found;
}

std::vector<std::string> DeployedComposeFiles(const std::vector<EnvAssignment>& sample) {
  std::string value;
  bool set = false;
  for (const auto& a : sample) {
    if (a.commented || a.name != "COMPOSE_FILE") continue;
    value = ReplaceAll(ReplaceAll(a.value, "${COMPOSE_FILE}", value), "$COMPOSE_FILE", value);
    set = true;
  }
  if (!set) return {"compose.yml"};
  std::vector<std::string> files;
  size_t from = 0;
  while (from <= value.size()) {
    size_t colon = value.find(':', from);
    std::string f(Trim(std::string_view(value).substr(
        from, colon == std::string::npos ? std::string::npos : colon - from)));
    if (!f.empty()) files.push_back(f);
    if (colon == std::string::npos) break;
    from = colon + 1;
  }
  if (files.empty()) files.push_back("compose.yml");
  return files;
}

}  // namespace ccci::runner
