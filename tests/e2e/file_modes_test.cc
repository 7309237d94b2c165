// Issue 11.16: started under umask 000, cc-ci made its data world-readable (the database 0644,
// run dirs 0777). Its files are private to its user and group whatever the umask.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "tests/fakes/server_process.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/webhook_client.h"

namespace ccci {
namespace {

unsigned Mode(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_mode & 0777 : 01000;
}

TEST(FileModes, UnderUmask000TheServersDataIsPrivate) {
  testing::TempDir dir;
  std::string data = dir.File("data");
  mode_t old = umask(0);
  testing::ServerProcess server(CCCI_BIN_DIR "/cc-ci", data, {});
  umask(old);
  auto posted = testing::PostWebhook(
      server.port(), "pull_request", testing::ReadShared("gitea/payloads/pull_request_opened.json"),
      "m1",  // the generated secret: 64 hex digits and a newline
      testing::ReadFileOrDie(data + "/webhook-secret").substr(0, 64));
  EXPECT_EQ(posted.status, 202) << posted.body;
  EXPECT_EQ(Mode(data), 0750u);
  EXPECT_EQ(Mode(data + "/webhook-secret"), 0600u);
  EXPECT_EQ(Mode(data + "/cc-ci.db"), 0640u);
  EXPECT_EQ(Mode(data + "/cc-ci.db-wal"), 0640u);
  EXPECT_EQ(Mode(data + "/cc-ci.db-shm"), 0640u);
  // What its children create (git checkouts) and what it writes through streams (screenshots)
  // follow the process's umask, which cc-ci narrows.
  std::ifstream status("/proc/" + std::to_string(server.pid()) + "/status");
  std::string line;
  while (std::getline(status, line) && line.rfind("Umask:", 0) != 0) {
  }
  EXPECT_EQ(line, "Umask:\t0027");
}

}  // namespace
}  // namespace ccci
