// `cc-ci serve` as an operator starts it (issue 12): a second server on a port in use must
// not start.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "tests/fakes/server_process.h"
#include "tests/fakes/test_files.h"

namespace ccci {
namespace {

TEST(ServeCommandTest, ASecondServerOnABusyPortFailsWithOneLine) {
  testing::TempDir dir;
  testing::ServerProcess first(CCCI_BIN_DIR "/cc-ci", dir.File("one"), {"CC_CI_WEBHOOK_SECRET=s"});
  std::string cmd = "CC_CI_WEBHOOK_SECRET=s timeout 10 " CCCI_BIN_DIR
                    "/cc-ci serve --listen 127.0.0.1:" +
                    std::to_string(first.port()) + " --data-dir " + dir.File("two") + " 2>&1";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[4096];
  while (fgets(buf, sizeof(buf), p)) out += buf;
  int status = pclose(p);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1) << out;  // 124: it was still serving when timeout ended it
  EXPECT_EQ(out.find("listening"), std::string::npos) << out;
  EXPECT_EQ(out.find('\n'), out.size() - 1) << "one line: " << out;
  EXPECT_NE(out.find("cannot listen on 127.0.0.1:" + std::to_string(first.port())),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("Address already in use"), std::string::npos) << out;
}

}  // namespace
}  // namespace ccci
