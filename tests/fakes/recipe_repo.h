#pragma once
// Builds a git repo of a real recipe from ../shared/recipes/<name> in a temp dir, as that
// data's README suggests: the files committed once per release in TAGS.txt (annotated tags
// `x.y.z+upstream` on successive commits, other tags too), then one more commit: the "PR head".

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "tests/fakes/test_files.h"

namespace ccci::testing {

inline std::string Sh(const std::string& cmd) {
  std::string full = "set -e; " + cmd + " 2>&1";
  FILE* p = popen(full.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  if (pclose(p) != 0) throw std::runtime_error("command failed: " + cmd + "\n" + out);
  return out;
}

struct RecipeRepo {
  std::string dir;
  std::string head;  // the PR head commit (full sha)

  // `dir` must not exist yet. `pr_change` is the shell run in the repo to make the PR head's
  // change (by default a line added to the README).
  static RecipeRepo FromShared(const std::string& name, const std::string& dir,
                               const std::string& pr_change = "echo 'PR change' >> README.md") {
    RecipeRepo r;
    r.dir = dir;
    std::string g = "git -C '" + dir + "' -c user.name=t -c user.email=t@example.org ";
    Sh("mkdir -p '" + dir + "' && cp -r '" + SharedDir() + "/recipes/" + name + "/.' '" + dir +
       "' && rm -f '" + dir + "/TAGS.txt' && git -C '" + dir + "' init -q -b main");
    std::ifstream tags(SharedDir() + "/recipes/" + name + "/TAGS.txt");
    int n = 0;
    for (std::string line; std::getline(tags, line);) {
      std::string tag = line.substr(0, line.find(' '));
      if (tag.empty()) continue;
      Sh("echo " + std::to_string(++n) + " > '" + dir + "/.release' && " + g + "add -A && " + g +
         "commit -q -m 'release " + tag + "' && " + g + "tag -a '" + tag + "' -m '" + tag + "'");
    }
    Sh("cd '" + dir + "' && " + pr_change + " && " + g + "add -A && " + g +
       "commit -q -m 'the PR'");
    r.head = Sh("git -C '" + dir + "' rev-parse HEAD");
    r.head.erase(r.head.find_last_not_of("\n") + 1);
    return r;
  }
};

}  // namespace ccci::testing
