#pragma once
// One thing a rung above lint found wrong, where it is: "compose.yml:104: ...".

#include <string>
#include <vector>

namespace ccci::runner {

struct Finding {
  std::string file;  // relative to the recipe; empty when it is not about a file
  int line = 0;      // 1-based; 0 when not about one line
  std::string message;
};

inline std::string FormatFinding(const Finding& f) {
  if (f.file.empty()) return f.message;
  return f.file + (f.line > 0 ? ":" + std::to_string(f.line) : std::string()) + ": " + f.message;
}

// The first finding, and how many more: the one-line reason of a failed stage.
inline std::string SummarizeFindings(const std::vector<Finding>& findings) {
  if (findings.empty()) return "";
  std::string s = FormatFinding(findings.front());
  if (findings.size() > 1) s += " (and " + std::to_string(findings.size() - 1) + " more)";
  return s;
}

}  // namespace ccci::runner
