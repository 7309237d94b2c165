#include "bot/intake/watched_repos.h"

#include <set>

namespace ccci {

std::vector<std::string> WatchedRepos(const std::vector<std::string>& configured, RunReader* runs) {
  std::set<std::string> repos(configured.begin(), configured.end());
  RunQuery q;
  q.limit = 500;
  auto page = runs->ListRuns(q);
  if (page.ok()) {
    for (const Run& r : page->runs) repos.insert(r.repo);
  }
  return {repos.begin(), repos.end()};
}

}  // namespace ccci
