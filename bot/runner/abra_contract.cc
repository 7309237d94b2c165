#include "bot/runner/abra_contract.h"

#include <sstream>

namespace ccci::runner {

const std::vector<AbraCommand>& AbraContract() {
  static const std::vector<AbraCommand> kContract = {
      {"app ls", {"--server", "--no-input"}},
      {"app new", {"--server", "--domain", "--no-input"}},
      {"app secret generate", {"--all", "--no-input"}},
      {"app deploy", {"--chaos", "--force", "--no-domain-checks", "--no-input"}},
      {"app undeploy", {"--no-input"}},
      {"app volume remove", {"--force", "--no-input"}},
      {"app backup create", {"--no-input"}},
      {"app restore", {"--no-input"}},
      {"app remove", {"--force", "--no-input"}},
      {"recipe lint", {"--chaos", "--no-input"}},
  };
  return kContract;
}

const AbraCommand* FindAbraCommand(const std::vector<std::string>& args) {
  const AbraCommand* best = nullptr;
  size_t best_len = 0;
  for (const AbraCommand& c : AbraContract()) {
    std::istringstream words(c.words);
    size_t i = 0;
    bool match = true;
    for (std::string w; words >> w; ++i) match = match && i < args.size() && args[i] == w;
    if (match && i > best_len) {
      best = &c;
      best_len = i;
    }
  }
  return best;
}

bool HelpListsFlag(const std::string& help, const std::string& flag) {
  for (size_t at = help.find(flag); at != std::string::npos; at = help.find(flag, at + 1)) {
    char before = at == 0 ? '\n' : help[at - 1];
    size_t end = at + flag.size();
    char after = end == help.size() ? '\n' : help[end];
    bool starts = before == ' ' || before == ',' || before == '\n' || before == '\t';
    bool ends = after == ' ' || after == ',' || after == '=' || after == '\n' || after == '\r' ||
                after == '\t';
    if (starts && ends) return true;
  }
  return false;
}

}  // namespace ccci::runner
