#include "bot/runner/stage_log.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "tests/fakes/test_files.h"

namespace ccci::runner {
namespace {

std::string Read(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// cc-ci's note was spliced into the command line above it:
// `$ abra app secret generate nextcloud-301-1.ci.t[cc-ci] output not logged: ... est --all`
TEST(StageLog, ANoteNeverLandsInsideTheCommandLineBeforeIt) {
  testing::TempDir dir;
  StageLog log(dir.File("install.log"), {"webhook-secret-0123456789abcdef"}, 1 << 20);
  auto sink = log.ForCommand({"abra", "app", "secret", "generate", "nextcloud-301-1.ci.test",
                              "--all", "--no-input"});
  log.Note("output not logged: it holds the generated secrets");
  EXPECT_EQ(Read(log.path()),
            "$ abra app secret generate nextcloud-301-1.ci.test --all --no-input\n"
            "[cc-ci] output not logged: it holds the generated secrets\n");
}

TEST(StageLog, ANoteAfterAnOpenLineStartsOnANewLine) {
  testing::TempDir dir;
  StageLog log(dir.File("install.log"), {"hunter2"}, 1 << 20);
  auto sink = log.ForCommand({"abra", "app", "deploy", "d"});
  sink->Write("Continue? [y/N] ");
  sink->Write("hun");
  sink->Close();
  log.Note("abra timed out");
  auto next = log.ForCommand({"abra", "app", "undeploy", "d"});
  next->Write("undeployed\n");
  next->Close();
  EXPECT_EQ(Read(log.path()),
            "$ abra app deploy d\n"
            "Continue? [y/N] hun\n"
            "[cc-ci] abra timed out\n"
            "$ abra app undeploy d\n"
            "undeployed\n");
}

TEST(StageLog, SecretsInNotesAndOutputAreRedactedAndTheCapHolds) {
  testing::TempDir dir;
  StageLog log(dir.File("lint.log"), {"hunter2"}, 60);
  log.Note("the token is hunter2");
  auto sink = log.ForCommand({"abra", "recipe", "lint", "r"});
  sink->Write(std::string(100, 'x'));
  sink->Close();
  std::string got = Read(log.path());
  EXPECT_EQ(got.rfind("[cc-ci] the token is ***\n$ abra recipe lint r\n", 0), 0u) << got;
  EXPECT_NE(got.find("[cc-ci: log truncated at size cap]"), std::string::npos) << got;
  EXPECT_EQ(got.find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace ccci::runner
