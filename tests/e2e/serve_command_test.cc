// `cc-ci serve` as an operator starts it: the real binary, refusing what would go wrong.

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "tests/fakes/child_process.h"
#include "tests/fakes/server_process.h"
#include "tests/fakes/test_files.h"

namespace ccci {
namespace {

const std::string kBinary = CCCI_BIN_DIR "/cc-ci";

// A second server on a port in use started anyway (SO_REUSEPORT), and requests alternated
// between two servers with different data.
TEST(ServeCommandTest, ASecondServerOnABusyPortFailsWithOneLine) {
  testing::TempDir dir;
  std::vector<std::string> env = {"CC_CI_WEBHOOK_SECRET=s"};
  testing::ServerProcess first(kBinary, dir.File("one"), env);
  std::string address = "127.0.0.1:" + std::to_string(first.port());
  testing::ChildResult second = testing::RunChild(
      {kBinary, "serve", "--listen", address, "--data-dir", dir.File("two")}, env,
      std::chrono::seconds(30));
  ASSERT_FALSE(second.timed_out) << "the second server started: " << second.out;
  EXPECT_EQ(second.exit_code, 1) << second.err;
  EXPECT_EQ(second.out.find("listening"), std::string::npos) << second.out;
  EXPECT_EQ(second.err.find('\n'), second.err.size() - 1) << "one line: " << second.err;
  EXPECT_NE(second.err.find("cannot listen on " + address), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("Address already in use"), std::string::npos) << second.err;
}

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

// A host without abra was only found out by the first run ("CI error"): serve says so at
// start, with the fix.
TEST(ServeCommandTest, WarnsAtStartWhenAbraIsMissing) {
  for (const char* real : {"/usr/local/bin/abra", "/usr/bin/abra", "/bin/abra"}) {
    if (access(real, X_OK) == 0) GTEST_SKIP() << "a real abra is installed: " << real;
  }
  testing::TempDir dir;
  std::string data = dir.File("data");
  testing::ServerProcess server(kBinary, data,
                                {"CC_CI_WEBHOOK_SECRET=s", "PATH=/usr/local/bin:/usr/bin:/bin"});
  std::string log = testing::ReadFileOrDie(data + ".log");
  EXPECT_NE(log.find("level=warn event=server.host_check_failed check=\"abra not found on PATH\" "
                     "fix=\"install abra or set runner.abra\""),
            std::string::npos)
      << log;
}

// `cc-ci worker` tells the truth in --help and refuses a store it cannot share.
TEST(WorkerCommandTest, HelpAndAStoreItCannotShare) {
  testing::ChildResult help = testing::RunChild({kBinary, "worker", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Usage: cc-ci worker --config FILE"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("runner.lease"), std::string::npos) << help.out;
  testing::TempDir dir;
  std::ofstream(dir.File("c.ini")) << "[runner]\nconcurrency = 1\n";
  testing::ChildResult sqlite = testing::RunChild(
      {kBinary, "worker", "--config", dir.File("c.ini"), "--data-dir", dir.File("d")});
  EXPECT_EQ(sqlite.exit_code, 2);
  EXPECT_NE(sqlite.err.find("storage.driver must be postgres"), std::string::npos) << sqlite.err;
  testing::ChildResult none = testing::RunChild({kBinary, "worker"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("--config FILE is required"), std::string::npos) << none.err;
  testing::ChildResult usage = testing::RunChild({kBinary, "--help"});
  EXPECT_NE(usage.out.find("  worker "), std::string::npos) << usage.out;
}

}  // namespace
}  // namespace ccci
