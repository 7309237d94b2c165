#pragma once
// The environment of every child cc-ci starts (abra, git, docker, overlay checks, a recipe's
// own script, the screenshot browser). It is built, not inherited: only the variables a child
// needs are copied from cc-ci's environment, so cc-ci's own (CC_CI_GITEA_TOKEN,
// CC_CI_WEBHOOK_SECRET, ...) never reach a child, whatever it prints into a public log.

#include <string>
#include <string_view>
#include <vector>

namespace ccci {

// Copied when set: the search path, home, user, locale, terminal, time zone, temp dir, the
// ssh agent (abra reaches servers over ssh), Docker's client settings and HTTP proxies.
const std::vector<std::string>& BaseChildEnvNames();

// True for the names cc-ci keeps to itself: CC_CI_*.
bool IsPrivateEnvName(std::string_view name);

// "K=V" entries: the BaseChildEnvNames and the `pass` names that are set in `parent`
// (an entry ending in '*' matches every name with that prefix, e.g. "FAKE_*"), never a
// private one, then every `set` entry, which overrides a copied one of the same name.
std::vector<std::string> ChildEnvironment(const std::vector<std::string>& pass,
                                          const std::vector<std::string>& set, char* const* parent);
// The same from cc-ci's own environment.
std::vector<std::string> ChildEnvironment(const std::vector<std::string>& pass,
                                          const std::vector<std::string>& set);

}  // namespace ccci
