#include "bot/config/ini_file.h"

#include <sstream>

namespace ccci {
namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

}  // namespace

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

}  // namespace ccci
