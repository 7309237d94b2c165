// Restart PostgreSQL in the middle of a flood of deliveries to a real `cc-ci serve` (driver
// postgres, issue 15's failure modes): while the database is down every webhook answers 503,
// none 2xx; once it is back the intake accepts again without a restart of its own; and every
// delivery that got a 2xx is in the database with its run. The test runs its own PostgreSQL
// (tests/pg/pg_lane.sh), since it stops and starts it.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "bot/store/pg_db.h"
#include "tests/fakes/flood.h"
#include "tests/fakes/server_process.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/wait_until.h"
#include "tests/fakes/webhook_client.h"

namespace ccci {
namespace {

constexpr const char* kSecret = "pg-restart-secret";

// pg_lane.sh CMD STATE; true when it succeeded.
bool Lane(const std::string& cmd, const std::string& state) {
  std::string line = std::string(CCCI_PG_LANE_SH) + " " + cmd + " " + state + " >/dev/null 2>&1";
  return std::system(line.c_str()) == 0;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The database's state as the intake sees it when a request is sent and when it is answered.
enum Phase { kUp = 0, kDown = 1, kBack = 2 };

struct Tally {
  std::mutex mu;
  std::set<int> acked;                // PRs whose delivery got a 2xx
  std::map<int, int> statuses;        // status -> how many
  std::vector<int> acked_while_down;  // sent and answered while the database was down
  int refused_while_down = 0;         // 503s sent and answered while it was down
  int acked_after_restart = 0;        // 2xx sent after it was back
};

TEST(PgRestartTest, IntakeAnswers503WhileTheDatabaseIsDownAndLosesNothingAcknowledged) {
  testing::TempDir dir;
  std::string lane = dir.File("pg");
  ASSERT_TRUE(Lane("up", lane)) << "pg_lane.sh up failed: " << Slurp(lane + "/error");
  std::string url = Slurp(lane + "/url");
  while (!url.empty() && url.back() == '\n') url.pop_back();
  testing::WriteFile(dir.File("cc-ci.ini"), "[storage]\ndriver = postgres\n");
  std::string fixture = testing::ReadShared("gitea/payloads/pull_request_synchronized.json");

  Tally tally;
  std::atomic<int> phase{kUp};
  {
    testing::ServerProcess server(
        CCCI_BIN_DIR "/cc-ci", dir.File("data"),
        {std::string("CC_CI_WEBHOOK_SECRET=") + kSecret, "CC_CI_DATABASE_URL=" + url},
        {"--config", dir.File("cc-ci.ini")});
    testing::Flood flood(8, [&](int pr) {
      int sent_in = phase;
      testing::HttpResult r;
      try {
        Poco::Net::HTTPClientSession s("127.0.0.1", server.port());
        s.setTimeout(Poco::Timespan(10, 0));
        r = testing::PostWebhook(s, "pull_request",
                                 testing::SyncBody(fixture, pr, testing::NumberedSha(pr)),
                                 "pg-" + std::to_string(pr), kSecret);
      } catch (const Poco::Exception& e) {
        r.status = -1;  // counted, and must not happen: the server stays up throughout
      }
      int answered_in = phase;
      std::lock_guard<std::mutex> lock(tally.mu);
      tally.statuses[r.status]++;
      bool down = sent_in == kDown && answered_in == kDown;
      if (r.status >= 200 && r.status < 300) {
        tally.acked.insert(pr);
        if (down) tally.acked_while_down.push_back(pr);
        if (sent_in == kBack) tally.acked_after_restart++;
      } else if (r.status == 503 && down) {
        tally.refused_while_down++;
      }
    });
    auto acked_at_least = [&](size_t n) {
      std::lock_guard<std::mutex> lock(tally.mu);
      return tally.acked.size() >= n;
    };
    EXPECT_TRUE(testing::WaitUntil([&] { return acked_at_least(200); }));
    ASSERT_TRUE(Lane("stop", lane));
    phase = kDown;
    EXPECT_TRUE(testing::WaitUntil([&] {
      std::lock_guard<std::mutex> lock(tally.mu);
      return tally.refused_while_down >= 50;
    }));
    phase = kUp;  // a request answered from here on may meet the database starting
    ASSERT_TRUE(Lane("start", lane));
    phase = kBack;
    EXPECT_TRUE(testing::WaitUntil([&] {
      std::lock_guard<std::mutex> lock(tally.mu);
      return tally.acked_after_restart >= 200;
    }));
    flood.Stop();
  }

  std::string seen;
  for (auto [status, n] : tally.statuses)
    seen += " " + std::to_string(status) + "x" + std::to_string(n);
  std::cout << "answers (status x count):" << seen << "; acknowledged " << tally.acked.size()
            << ", 503 while down " << tally.refused_while_down << "\n";
  for (auto [status, n] : tally.statuses) {
    EXPECT_TRUE(status == 202 || status == 503) << "answers:" << seen;
  }
  EXPECT_GE(tally.refused_while_down, 50) << "answers:" << seen;
  EXPECT_TRUE(tally.acked_while_down.empty())
      << tally.acked_while_down.size() << " deliveries acknowledged while the database was down";
  EXPECT_GE(tally.acked_after_restart, 200) << "answers:" << seen;

  // Every acknowledged delivery is stored, with its run.
  std::set<int> stored, with_run;
  {
    auto db = PgDb::Open(url);
    ASSERT_TRUE(db.ok()) << db.status().message();
    auto q = (*db)->Prepare(
        "SELECT d.pr, r.id FROM deliveries d LEFT JOIN runs r "
        "ON r.delivery_id = d.id WHERE d.id LIKE 'pg-%'");
    ASSERT_TRUE(q.ok()) << q.status().message();
    for (;;) {
      auto row = (*q)->Step();
      ASSERT_TRUE(row.ok()) << row.status().message();
      if (!*row) break;
      stored.insert(static_cast<int>((*q)->Int(0)));
      if (!(*q)->IsNull(1)) with_run.insert(static_cast<int>((*q)->Int(0)));
    }
  }
  int lost = 0;
  for (int pr : tally.acked) {
    if (!stored.count(pr) || !with_run.count(pr)) ++lost;
  }
  EXPECT_EQ(lost, 0) << "of " << tally.acked.size() << " acknowledged deliveries";
  EXPECT_TRUE(Lane("down", lane));
}

}  // namespace
}  // namespace ccci
