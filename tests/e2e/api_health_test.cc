// /healthz says what the webhook intake sees (issue 11, item 12), and the API's filters are
// checked, not ignored (issue 12): the real server on port 0, a real SQLite store, a real
// full disk (a small tmpfs, mounted when the tests run as root, which CI does).

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "bot/forge/outbox_store.h"
#include "tests/e2e/server_fixture.h"
#include "tests/fakes/webhook_client.h"

namespace ccci {
namespace {

using testing::Get;
using testing::kSecret;
using testing::ReadShared;

class ApiHealthTest : public testing::ServerFixture {};

TEST_F(ApiHealthTest, RunsFilterWithAnUnknownStateIs400NamingTheValidStates) {
  Start();
  auto r = Get(port_, "/api/runs?state=bogus");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body,
            "{\"error\":\"unknown state 'bogus': use one of queued, waiting, running, finished, "
            "error, cancelled, superseded\"}");
  EXPECT_EQ(Get(port_, "/api/runs?state=queued").status, 200);
  EXPECT_EQ(Get(port_, "/api/runs?state=").status, 200) << "empty: no filter";
}

TEST_F(ApiHealthTest, OutboxFiltersByRepoAndPrAndRefusesUnknownParameters) {
  Start();
  auto add = [&](const std::string& repo, int64_t pr) {
    OutboxMessage m;
    m.repo = repo;
    m.pr = pr;
    m.kind = "sticky";
    m.coalesce_key = "sticky:" + repo + "#" + std::to_string(pr);
    m.payload = "{\"body\":\"x\"}";
    ASSERT_TRUE(store_->EnqueueMessage(m).ok());
  };
  add("coop-cloud/nextcloud", 17);
  add("coop-cloud/nextcloud", 18);
  add("coop-cloud/bonfire", 17);
  auto count = [&](const std::string& path) {
    auto r = Get(port_, path);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    size_t n = 0;
    for (size_t at = r.body.find("\"kind\""); at != std::string::npos;
         at = r.body.find("\"kind\"", at + 1)) {
      ++n;
    }
    return n;
  };
  EXPECT_EQ(count("/api/outbox"), 3u);
  EXPECT_EQ(count("/api/outbox?pr=17"), 2u);
  EXPECT_EQ(count("/api/outbox?repo=coop-cloud/nextcloud"), 2u);
  EXPECT_EQ(count("/api/outbox?repo=coop-cloud%2Fnextcloud&pr=18"), 1u);
  EXPECT_EQ(count("/api/outbox?limit=1"), 1u);
  auto bad = Get(port_, "/api/outbox?bogus=1");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body, "{\"error\":\"bad query parameter 'bogus'\"}");
  EXPECT_EQ(Get(port_, "/api/outbox?pr=x").status, 400);
}

// A tmpfs of `bytes` mounted on a fresh directory for the test's life.
class SmallDisk {
 public:
  explicit SmallDisk(const std::string& dir, int64_t bytes) : dir_(dir) {
    mounted_ =
        mount("tmpfs", dir.c_str(), "tmpfs", 0, ("size=" + std::to_string(bytes)).c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  // Writes a file until the disk is full.
  void Fill(const std::string& name) {
    std::ofstream out(dir_ + "/" + name, std::ios::binary);
    std::string block(64 * 1024, 'f');
    while (out.write(block.data(), static_cast<std::streamsize>(block.size()))) {
    }
    // What is left is smaller than a block: a byte at a time.
    while (out.put('f') && out.flush()) {
    }
  }

 private:
  std::string dir_;
  bool mounted_ = false;
};

TEST_F(ApiHealthTest, HealthzSays503WhileDeliveriesCannotBeStoredOnAFullDisk) {
  std::string data = dir_.File("disk");
  ASSERT_EQ(mkdir(data.c_str(), 0700), 0);
  SmallDisk disk(data, 8 << 20);
  if (!disk.mounted()) GTEST_SKIP() << "mounting a tmpfs needs root (CI runs as root)";
  Start({}, data);
  std::string body = ReadShared("gitea/payloads/pull_request_opened.json");
  ASSERT_EQ(testing::PostWebhook(port_, "pull_request", body, "before", kSecret).status, 202);
  EXPECT_EQ(Get(port_, "/healthz").body, "ok\n");

  disk.Fill("filler");
  std::string sync = testing::SyncBody(ReadShared("gitea/payloads/pull_request_synchronized.json"),
                                       17, "1234567890123456789012345678901234567890");
  auto full = testing::PostWebhook(port_, "pull_request", sync, "on-full-disk", kSecret);
  EXPECT_EQ(full.status, 503) << full.body;
  auto health = Get(port_, "/healthz");
  EXPECT_EQ(health.status, 503) << health.body;
  EXPECT_EQ(health.body.find('\n'), health.body.size() - 1) << "one line: " << health.body;
  EXPECT_NE(health.body.find("cannot be stored"), std::string::npos) << health.body;

  // Room again: the next delivery is stored, and the server is healthy again.
  ASSERT_EQ(unlink((data + "/filler").c_str()), 0);
  EXPECT_EQ(testing::PostWebhook(port_, "pull_request", sync, "after", kSecret).status, 202);
  EXPECT_EQ(Get(port_, "/healthz").body, "ok\n");
}

}  // namespace
}  // namespace ccci
