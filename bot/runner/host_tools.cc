#include "bot/runner/host_tools.h"

#include <unistd.h>

#include <cstdlib>
#include <sstream>

namespace ccci::runner {

std::string FindProgram(const std::string& program) {
  if (program.empty()) return "";
  if (program.find('/') != std::string::npos) {
    return access(program.c_str(), X_OK) == 0 ? program : "";
  }
  const char* path = getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string MissingProgram(const std::string& program, const std::string& config_key) {
  std::string tool = program.substr(program.find_last_of('/') + 1);
  bool is_path = program.find('/') != std::string::npos;
  std::string fix = "install " + tool + (config_key.empty() ? "" : " or set " + config_key);
  return program + (is_path ? " not found: " : " not found on PATH: ") + fix;
}

}  // namespace ccci::runner
