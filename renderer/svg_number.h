#pragma once
// Numbers as SVG attributes: at most two decimals, no trailing zeros ("12", "3.5", "0.25").

#include <cstdio>
#include <string>

namespace ccci::render {

inline std::string SvgNumber(double v) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%.2f", v);
  std::string s = buf;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

}  // namespace ccci::render
