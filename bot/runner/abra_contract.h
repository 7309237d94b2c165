#pragma once
// Every abra command and flag the runner passes (bot/runner/suite.cc), in one list: `cc-ci
// doctor` asks the host's abra for each command's --help and names what it lacks, and a
// test runs the suite and checks each abra call it makes against this list, so the two
// cannot drift apart.

#include <string>
#include <vector>

namespace ccci::runner {

struct AbraCommand {
  std::string words;                // "app deploy"
  std::vector<std::string> flags;  // {"--chaos", "--force", ...}
};

const std::vector<AbraCommand>& AbraContract();

// The contract command an abra argv (without the program) is an instance of: the longest
// `words` its leading words match. Null when none does.
const AbraCommand* FindAbraCommand(const std::vector<std::string>& args);

// Whether cobra's --help text lists `flag` (as "--flag", "-f, --flag" or "--flag=...").
bool HelpListsFlag(const std::string& help, const std::string& flag);

}  // namespace ccci::runner
