#pragma once
// Variable assignments in a recipe's .env.sample and abra.sh, with their line numbers, for the
// rungs above lint. `NAME=value` and `export NAME=value` are set; `# NAME=value` (any number
// of '#', spaces allowed) is an optional setting the operator may uncomment. Prose comments
// ("# enter your domain") are not assignments. Values lose their quotes and a trailing
// ` # comment`.

#include <string>
#include <string_view>
#include <vector>

namespace ccci::runner {

struct EnvAssignment {
  std::string name;
  std::string value;
  int line = 0;  // 1-based
  bool commented = false;
};

std::vector<EnvAssignment> ParseEnvAssignments(std::string_view text);

// The last uncommented assignment of `name`, or null.
const EnvAssignment* FindSet(const std::vector<EnvAssignment>& all, const std::string& name);

// The compose files an app made from this .env.sample deploys, in order: the last uncommented
// COMPOSE_FILE (each `$COMPOSE_FILE` / `${COMPOSE_FILE}` in it replaced by the value before),
// split on ':'; "compose.yml" when there is none.
std::vector<std::string> DeployedComposeFiles(const std::vector<EnvAssignment>& sample);

// True for NAME as a shell variable name: [A-Za-z_][A-Za-z0-9_]*.
bool IsVariableName(std::string_view name);

}  // namespace ccci::runner
