#pragma once
// The recipes cc-ci watches: the configured gitea.repos, plus every repo of the newest 500
// runs (repos seen in deliveries). The reconciler and the nightly pass both go over them.

#include <string>
#include <vector>

#include "bot/store/run_reader.h"

namespace ccci {

// Sorted, each once.
std::vector<std::string> WatchedRepos(const std::vector<std::string>& configured, RunReader* runs);

}  // namespace ccci
