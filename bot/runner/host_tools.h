#pragma once
// The programs the runner needs on the host (abra, docker, git, chromium): where they are,
// and the one sentence that says one is missing, shared by the suite (a run's CI error),
// `cc-ci serve` (its start-up warning) and `cc-ci doctor`.

#include <string>

namespace ccci::runner {

// Where exec would find `program`: a name with a '/' as it is, else the first executable
// match on PATH. Empty when there is none.
std::string FindProgram(const std::string& program);

// "abra not found on PATH: install abra or set runner.abra", or for a path,
// "/opt/abra not found: install abra or set runner.abra". `config_key` may be empty (git).
std::string MissingProgram(const std::string& program, const std::string& config_key);

}  // namespace ccci::runner
