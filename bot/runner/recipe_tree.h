#pragma once
// A recipe's files as the rungs above lint read them: from a checkout of one ref (a git
// worktree the runner made) or built by a test. Only what the rules read is kept: the
// compose*.yml files at the top, .env.sample, abra.sh, README.md, the files the compose files
// build configs and secrets from, and the names of the release notes in release/. A file is
// read only inside the tree (no `..`, no symlink out), up to kMaxRecipeFileBytes, and no more
// than kMaxRecipeTreeBytes in all (a recipe is the PR author's: its cost to cc-ci is bounded).

#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "bot/runner/compose_file.h"

namespace ccci::runner {

inline constexpr size_t kMaxRecipeFileBytes = 1 << 20;
inline constexpr size_t kMaxRecipeTreeBytes = 16 << 20;

struct RecipeTree {
  std::map<std::string, std::string> files;       // relative path -> content
  std::set<std::string> release_notes;            // non-empty files in release/, by name
  std::map<std::string, std::string> unreadable;  // relative path -> why it was not read

  // Null when the tree has no such file (or it could not be read).
  const std::string* File(const std::string& path) const;
};

// NotFound when `dir` is not a directory.
Result<RecipeTree> LoadRecipeTree(const std::string& dir);

// Every compose*.yml at the top of the tree, by name. InvalidArgument naming the file that is
// not YAML.
Result<std::vector<ComposeFile>> ComposeFiles(const RecipeTree& tree);

// A service of the app as deployed: merged over the compose files the .env.sample's
// COMPOSE_FILE names (compose.yml without one), later files overriding earlier ones.
struct DeployedService {
  std::string name;
  std::string file;  // where it was first defined
  int line = 0;
  bool healthcheck = false;
};
Result<std::vector<DeployedService>> DeployedServices(const RecipeTree& tree);

}  // namespace ccci::runner
