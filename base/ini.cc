#include "base/ini.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include <sstream>

namespace ccci {

Result<std::map<std::string, IniValue>> ParseIni(const std::string& text,
                                                 const std::string& source_name) {
  std::map<std::string, IniValue> out;
  std::istringstream in(text);
  std::string raw;
  std::string section;
  int lineno = 0;
  auto where = [&] { return source_name + ":" + std::to_string(lineno) + ": "; };
  while (std::getline(in, raw)) {
    ++lineno;
    std::string line = Trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      if (line.back() != ']') return InvalidArgument(where() + "unterminated section header");
      section = Trim(line.substr(1, line.size() - 2));
      if (section.empty()) return InvalidArgument(where() + "empty section name");
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string::npos) {
      return InvalidArgument(where() + "expected 'key = value', got '" + line + "'");
    }
    std::string key = Trim(line.substr(0, eq));
    std::string value = Trim(line.substr(eq + 1));
    if (key.empty()) return InvalidArgument(where() + "missing key before '='");
    if (section.empty()) return InvalidArgument(where() + key + ": key outside any [section]");
    if (value.size() >= 2 && ((value.front() == '"' && value.back() == '"') ||
                              (value.front() == '\'' && value.back() == '\''))) {
      value = value.substr(1, value.size() - 2);
    }
    std::string full = section + "." + key;
    if (out.count(full)) {
      return InvalidArgument(where() + full + ": set twice (first on line " +
                             std::to_string(out[full].line) + ")");
    }
    out[full] = IniValue{value, lineno};
  }
  return out;
}

std::string Trim(std::string s) {
  s.erase(0, s.find_first_not_of(" \t\r\n"));
  size_t e = s.find_last_not_of(" \t\r\n");
  s.erase(e == std::string::npos ? 0 : e + 1);
  return s;
}

std::vector<std::string> SplitList(const std::string& v, const char* seps) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= v.size()) {
    size_t end = v.find_first_of(seps, start);
    if (end == std::string::npos) end = v.size();
    std::string item = Trim(v.substr(start, end - start));
    if (!item.empty()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

bool ParseInt64(const std::string& v, int64_t* out) {
  if (v.empty()) return false;
  char* end = nullptr;
  errno = 0;
  long long n = strtoll(v.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return false;
  *out = n;
  return true;
}

bool ParseDurationSeconds(const std::string& v, int* out) {
  if (v.empty()) return false;
  int64_t mult = 1;
  std::string num = v;
  switch (v.back()) {
    case 's': num.pop_back(); break;
    case 'm': mult = 60; num.pop_back(); break;
    case 'h': mult = 3600; num.pop_back(); break;
    case 'd': mult = 86400; num.pop_back(); break;
    default: break;
  }
  int64_t n;
  if (!ParseInt64(num, &n) || n < 0 || n * mult > 366LL * 86400) return false;
  *out = static_cast<int>(n * mult);
  return true;
}

bool ParseBool(const std::string& v, bool* out) {
  std::string l = v;
  std::transform(l.begin(), l.end(), l.begin(), ::tolower);
  if (l == "true" || l == "yes" || l == "on" || l == "1") *out = true;
  else if (l == "false" || l == "no" || l == "off" || l == "0") *out = false;
  else return false;
  return true;
}

}  // namespace ccci
