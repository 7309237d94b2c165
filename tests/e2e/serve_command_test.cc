// `cc-ci serve` as an operator starts it: the real binary, refusing what would go wrong.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/fakes/child_process.h"
#include "tests/fakes/server_process.h"
#include "tests/fakes/test_files.h"

namespace ccci {
namespace {

const std::string kBinary = CCCI_BIN_DIR "/cc-ci";

// Two servers on one data dir both started: two runners and two reconcilers on one database.
TEST(ServeCommandTest, ASecondServerOnTheSameDataDirIsRefusedNamingTheHolder) {
  testing::TempDir dir;
  std::string data = dir.File("data");
  std::vector<std::string> env = {"CC_CI_WEBHOOK_SECRET=s"};
  testing::ServerProcess first(kBinary, data, env);
  testing::ChildResult second = testing::RunChild(
      {kBinary, "serve", "--listen", "127.0.0.1:0", "--data-dir", data}, env,
      std::chrono::seconds(30));
  ASSERT_FALSE(second.timed_out) << "the second server started: " << second.out;
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_EQ(second.out, "");
  EXPECT_EQ(second.err, "cc-ci serve: another cc-ci on data dir " + data + " is running (pid " +
                            std::to_string(first.pid()) + ")\n");
}

TEST(ServeCommandTest, TheDataDirIsFreeAgainOnceItsServerStopped) {
  testing::TempDir dir;
  std::string data = dir.File("data");
  std::vector<std::string> env = {"CC_CI_WEBHOOK_SECRET=s"};
  { testing::ServerProcess first(kBinary, data, env); }
  testing::ServerProcess second(kBinary, data, env);
  EXPECT_GT(second.port(), 0);
}

}  // namespace
}  // namespace ccci
