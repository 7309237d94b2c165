#pragma once
// A small, strict INI reader: `[section]`, `key = value`, `#` or `;` comments on their own
// line. Keys come back as "section.key". Unlike Poco's IniFileConfiguration it keeps the
// line of every key, so a bad config is refused with "file:line: key: reason".

#include <map>
#include <string>

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

}  // namespace ccci
