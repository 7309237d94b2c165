// `cc-ci check` as a maintainer runs it: the real binary, bad input refused before any run.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/fakes/child_process.h"
#include "tests/fakes/recipe_repo.h"
#include "tests/fakes/test_files.h"

namespace ccci {
namespace {

const std::string kBinary = CCCI_BIN_DIR "/cc-ci";

// It ran the suite and exited 3 (CI error) for a path that does not exist.
TEST(CheckCommandTest, ADirThatDoesNotExistIsBadUsage) {
  testing::TempDir dir;
  testing::ChildResult r =
      testing::RunChild({kBinary, "check", "/no/such/dir", "--out", dir.File("out")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "") << "no suite ran";
  EXPECT_EQ(r.err,
            "cc-ci check: /no/such/dir: no such directory (give a recipe's git checkout or a "
            "git URL)\n");
}

// It said only "git exited 128".
TEST(CheckCommandTest, ADirThatIsNotAGitRepoSaysWhatGitSaid) {
  testing::TempDir dir;
  testing::Sh("mkdir -p '" + dir.File("plain") + "'");
  testing::ChildResult r =
      testing::RunChild({kBinary, "check", dir.File("plain"), "--out", dir.File("out")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "cc-ci check: " + dir.File("plain") +
                       " is not a git repo: fatal: not a git repository (or any of the parent "
                       "directories): .git\n");
}

// The recipe's name was always the folder's.
TEST(CheckCommandTest, TheRecipeNameCanBeGiven) {
  testing::TempDir dir;
  testing::RecipeRepo repo = testing::RecipeRepo::FromShared("traefik", dir.File("checkout"));
  testing::Sh("mkdir -p '" + dir.File("swarm") + "'");
  std::vector<std::string> env = {
      "PATH=" CCCI_SOURCE_DIR "/tests/fakes/bin:/usr/local/bin:/usr/bin:/bin",
      "FAKE_SWARM_DIR=" + dir.File("swarm"), "FAKE_ABRA_UNREACHABLE=1"};
  testing::ChildResult r = testing::RunChild(
      {kBinary, "check", repo.dir, "--recipe", "traefik-fork", "--out", dir.File("out")}, env);
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;  // the server is unreachable: a CI error
  EXPECT_EQ(r.out.rfind("cc-ci check: traefik-fork at HEAD as traefik-fork-0-", 0), 0u) << r.out;
  std::string results = testing::ReadFileOrDie(dir.File("out") + "/results.json");
  EXPECT_NE(results.find("\"recipe\": \"traefik-fork\""), std::string::npos) << results;

  r = testing::RunChild({kBinary, "check", repo.dir, "--recipe", "../elsewhere"}, env);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "cc-ci check: '../elsewhere' is not a recipe name (letters, digits, '-', '_', '.'); "
            "give one with --recipe NAME\n");
}

}  // namespace
}  // namespace ccci
