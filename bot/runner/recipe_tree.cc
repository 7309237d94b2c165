#include "bot/runner/recipe_tree.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bot/runner/env_assignments.h"

namespace ccci::runner {
namespace {

namespace fs = std::filesystem;

bool IsComposeName(const std::string& name) {
  return name.rfind("compose", 0) == 0 && name.size() > 4 &&
         name.compare(name.size() - 4, 4, ".yml") == 0;
}

// Reads `rel` under `root` into the tree, or records why not.
void ReadInto(const fs::path& root, const std::string& rel, RecipeTree* tree, size_t* budget) {
  if (tree->files.count(rel) || tree->unreadable.count(rel)) return;
  fs::path p = fs::path(rel).lexically_normal();
  if (p.is_absolute() || p.empty() || *p.begin() == "..") {
    tree->unreadable[rel] = "outside the recipe";
    return;
  }
  std::error_code ec;
  fs::path full = fs::weakly_canonical(root / p, ec);
  if (ec) return;
  std::string under = root.string() + "/";
  if (full.string().rfind(under, 0) != 0) {
    tree->unreadable[rel] = "outside the recipe";
    return;
  }
  if (!fs::is_regular_file(full, ec)) return;  // absent: not in this tree
  size_t size = fs::file_size(full, ec);
  if (ec || size > kMaxRecipeFileBytes) {
    tree->unreadable[rel] = "larger than " + std::to_string(kMaxRecipeFileBytes) + " bytes";
    return;
  }
  if (size > *budget) {
    tree->unreadable[rel] =
        "the recipe's files are over " + std::to_string(kMaxRecipeTreeBytes) + " bytes";
    return;
  }
  *budget -= size;
  std::ifstream in(full, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in && !in.eof()) {
    tree->unreadable[rel] = "cannot be read";
    return;
  }
  tree->files[rel] = ss.str();
}

}  // namespace

const std::string* RecipeTree::File(const std::string& path) const {
  auto it = files.find(path);
  return it == files.end() ? nullptr : &it->second;
}

Result<RecipeTree> LoadRecipeTree(const std::string& dir) {
  std::error_code ec;
  fs::path root = fs::canonical(dir, ec);
  if (ec || !fs::is_directory(root, ec)) return NotFound("no recipe tree at " + dir);
  RecipeTree tree;
  std::vector<std::string> top = {".env.sample", "abra.sh", "README.md"};
  for (const auto& e : fs::directory_iterator(root, ec)) {
    std::string name = e.path().filename().string();
    if (IsComposeName(name)) top.push_back(name);
  }
  size_t budget = kMaxRecipeTreeBytes;
  for (const std::string& name : top) ReadInto(root, name, &tree, &budget);
  for (const auto& e : fs::directory_iterator(root / "release", ec)) {
    if (e.is_regular_file(ec) && e.file_size(ec) > 0) {
      tree.release_notes.insert(e.path().filename().string());
    }
  }
  auto compose = ComposeFiles(tree);
  if (compose.ok()) {
    for (const ComposeFile& f : *compose) {
      for (const ComposeFileEntry& entry : f.file_entries)
        ReadInto(root, entry.file, &tree, &budget);
    }
  }
  return tree;
}

Result<std::vector<ComposeFile>> ComposeFiles(const RecipeTree& tree) {
  std::vector<ComposeFile> out;
  for (const auto& [path, text] : tree.files) {
    if (path.find('/') != std::string::npos || !IsComposeName(path)) continue;
    auto parsed = ParseComposeFile(path, text);
    if (!parsed.ok()) return parsed.status();
    out.push_back(std::move(*parsed));
  }
  return out;
}

Result<std::vector<DeployedService>> DeployedServices(const RecipeTree& tree) {
  auto all = ComposeFiles(tree);
  if (!all.ok()) return all.status();
  const std::string* sample = tree.File(".env.sample");
  std::vector<std::string> names =
      DeployedComposeFiles(ParseEnvAssignments(sample ? *sample : std::string()));
  std::vector<DeployedService> out;
  for (const std::string& name : names) {
    auto f = std::find_if(all->begin(), all->end(),
                          [&](const ComposeFile& c) { return c.path == name; });
    if (f == all->end()) continue;
    for (const ComposeService& s : f->services) {
      auto known = std::find_if(out.begin(), out.end(),
                                [&](const DeployedService& d) { return d.name == s.name; });
      if (known == out.end()) {
        out.push_back({s.name, f->path, s.line, false});
        known = out.end() - 1;
      }
      if (s.healthcheck) known->healthcheck = *s.healthcheck;
    }
  }
  return out;
}

}  // namespace ccci::runner
