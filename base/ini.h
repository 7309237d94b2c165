#pragma once
// A small, strict INI reader: `[section]`, `key = value`, `#` or `;` comments on their own
// line. Keys come back as "section.key". Unlike Poco's IniFileConfiguration it keeps the
// line of every key, so a bad config is refused with "file:line: key: reason".

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"

namespace ccci {

struct IniValue {
  std::string value;
  int line = 0;
};

// Keys are "section.key", lower-case as written (keys are case-sensitive). A duplicate key,
// a key outside any section or a line that is neither is an InvalidArgument naming the line.
Result<std::map<std::string, IniValue>> ParseIni(const std::string& text,
                                                 const std::string& source_name);

// Value parsers shared by every INI-shaped file (config, recipe overlays).
std::string Trim(std::string s);
// Splits on any of `seps`, trims, drops empty items.
std::vector<std::string> SplitList(const std::string& v, const char* seps);
bool ParseInt64(const std::string& v, int64_t* out);
// "90", "90s", "5m", "2h", "30d" -> seconds (at most a year).
bool ParseDurationSeconds(const std::string& v, int* out);
// true/yes/on/1, false/no/off/0 (any case).
bool ParseBool(const std::string& v, bool* out);

}  // namespace ccci
