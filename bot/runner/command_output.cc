#include "bot/runner/command_output.h"

namespace ccci::runner {

std::string LastLine(const std::string& text) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
  size_t nl = t.find_last_of("\r\n");
  std::string line = nl == std::string::npos ? t : t.substr(nl + 1);
  if (line.size() > 200) line = line.substr(0, 200) + "...";
  return line;
}

std::string StripAnsi(const std::string& in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '\x1b') {
      out += in[i];
      continue;
    }
    if (i + 1 < in.size() && in[i + 1] == '[') {
      i += 2;
      while (i < in.size() && !(in[i] >= 0x40 && in[i] <= 0x7e)) ++i;
    } else {
      ++i;
    }
  }
  return out;
}

}  // namespace ccci::runner
