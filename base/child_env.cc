#include "base/child_env.h"

#include <unistd.h>

#include <algorithm>

namespace ccci {
namespace {

bool Matches(const std::string& pattern, std::string_view name) {
  if (!pattern.empty() && pattern.back() == '*') {
    return name.substr(0, pattern.size() - 1) ==
           std::string_view(pattern).substr(0, pattern.size() - 1);
  }
  return name == pattern;
}

std::string_view NameOf(std::string_view entry) { return entry.substr(0, entry.find('=')); }

}  // namespace

const std::vector<std::string>& BaseChildEnvNames() {
  static const std::vector<std::string> kNames = {"PATH",
                                                  "HOME",
                                                  "USER",
                                                  "LOGNAME",
                                                  "SHELL",
                                                  "LANG",
                                                  "LANGUAGE",
                                                  "LC_*",
                                                  "TERM",
                                                  "TZ",
                                                  "TMPDIR",
                                                  "SSH_AUTH_SOCK",
                                                  "DOCKER_HOST",
                                                  "DOCKER_CONTEXT",
                                                  "DOCKER_CONFIG",
                                                  "DOCKER_CERT_PATH",
                                                  "DOCKER_TLS_VERIFY",
                                                  "http_proxy",
                                                  "https_proxy",
                                                  "no_proxy",
                                                  "HTTP_PROXY",
                                                  "HTTPS_PROXY",
                                                  "NO_PROXY",
                                                  "all_proxy",
                                                  "ALL_PROXY"};
  return kNames;
}

bool IsPrivateEnvName(std::string_view name) { return name.substr(0, 6) == "CC_CI_"; }

std::vector<std::string> ChildEnvironment(const std::vector<std::string>& pass,
                                          const std::vector<std::string>& set,
                                          char* const* parent) {
  auto wanted = [&](std::string_view name) {
    if (IsPrivateEnvName(name)) return false;
    auto match = [&](const std::string& p) { return Matches(p, name); };
    const auto& base = BaseChildEnvNames();
    return std::any_of(base.begin(), base.end(), match) ||
           std::any_of(pass.begin(), pass.end(), match);
  };
  auto overridden = [&](std::string_view name) {
    return std::any_of(set.begin(), set.end(),
                       [&](const std::string& s) { return NameOf(s) == name; });
  };
  std::vector<std::string> env;
  for (char* const* e = parent; e && *e; ++e) {
    std::string_view entry(*e);
    std::string_view name = NameOf(entry);
    if (name.size() < entry.size() && wanted(name) && !overridden(name)) env.emplace_back(entry);
  }
  env.insert(env.end(), set.begin(), set.end());
  return env;
}

std::vector<std::string> ChildEnvironment(const std::vector<std::string>& pass,
                                          const std::vector<std::string>& set) {
  return ChildEnvironment(pass, set, environ);
}

}  // namespace ccci
