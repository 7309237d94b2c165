// SIGKILL the real server in the middle of a flood of deliveries, restart it, and check that
// every delivery that got a 2xx survived with its queued run, the database opens cleanly,
// and nothing is duplicated.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "tests/fakes/flood.h"
#include "tests/fakes/server_process.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/wait_until.h"
#include "tests/fakes/webhook_client.h"

namespace ccci {
namespace {

constexpr const char* kSecret = "crash-secret";

TEST(CrashTest, AcknowledgedDeliveriesSurviveSigkill) {
  testing::TempDir dir;
  std::string data = dir.File("data");
  std::string binary = CCCI_BIN_DIR "/cc-ci";
  std::vector<std::string> env = {std::string("CC_CI_WEBHOOK_SECRET=") + kSecret};
  std::string fixture = testing::ReadShared("gitea/payloads/pull_request_synchronized.json");

  std::mutex mu;
  std::set<int> acked;  // PR numbers whose delivery got a 2xx
  {
    testing::ServerProcess server(binary, data, env);
    testing::Flood flood(8, [&](int pr) {
      try {
        Poco::Net::HTTPClientSession s("127.0.0.1", server.port());
        s.setTimeout(Poco::Timespan(5, 0));
        auto r = testing::PostWebhook(s, "pull_request",
                                      testing::SyncBody(fixture, pr, testing::NumberedSha(pr)),
                                      "k-" + std::to_string(pr), kSecret);
        if (r.status == 202) {
          std::lock_guard<std::mutex> lock(mu);
          acked.insert(pr);
        }
      } catch (const Poco::Exception&) {
        // The kill cuts requests in flight; those were never acknowledged.
      }
    });
    // Kill once a good number are acknowledged, while the flood is still going.
    ccci::testing::WaitUntil(
        [&] {
          std::lock_guard<std::mutex> lock(mu);
          return acked.size() >= 400;
        },
        std::chrono::seconds(10), std::chrono::milliseconds(5));
    int status = server.Kill(SIGKILL);
    EXPECT_TRUE(WIFSIGNALED(status));
    flood.Stop();
  }
  ASSERT_GE(acked.size(), 400u);

  // Restart on the same data dir: it must open cleanly and still have everything acked.
  testing::ServerProcess again(binary, data, env);
  EXPECT_EQ(testing::Get(again.port(), "/healthz").status, 200);
  std::set<int> runs_seen;
  std::string next = "/api/runs?limit=500";
  while (!next.empty()) {
    auto page = testing::Get(again.port(), next);
    ASSERT_EQ(page.status, 200);
    size_t pos = 0;
    while ((pos = page.body.find("\"pr\":", pos)) != std::string::npos) {
      int pr = std::stoi(page.body.substr(pos + 5));
      EXPECT_TRUE(runs_seen.insert(pr).second) << "run for PR " << pr << " stored twice";
      pos += 5;
    }
    size_t n = page.body.find("\"next\":\"");
    next =
        n == std::string::npos ? "" : page.body.substr(n + 8, page.body.find('"', n + 8) - n - 8);
  }
  for (int pr : acked) EXPECT_TRUE(runs_seen.count(pr)) << "acknowledged PR " << pr << " lost";

  // Redelivering what was acknowledged changes nothing.
  int dup = 0;
  for (int pr : acked) {
    if (pr % 10 != 0) continue;
    auto r = testing::PostWebhook(again.port(), "pull_request",
                                  testing::SyncBody(fixture, pr, testing::NumberedSha(pr)),
                                  "k-" + std::to_string(pr), kSecret);
    EXPECT_EQ(r.status, 200) << r.body;
    dup++;
  }
  EXPECT_GT(dup, 0);
  again.Kill(SIGTERM);

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((data + "/cc-ci.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "ok");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST(CrashTest, SigtermStopsCleanly) {
  testing::TempDir dir;
  testing::ServerProcess server(CCCI_BIN_DIR "/cc-ci", dir.File("data"),
                                {std::string("CC_CI_WEBHOOK_SECRET=") + kSecret});
  int status = server.Kill(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace ccci
