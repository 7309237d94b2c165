// Many peers that request a big stage log and never read it, against the real cc-ci binary
// (issue 11, item 2): the server's memory must stay bounded while they wait, and be given
// back once they leave. Memory is the server's own account in /proc/<pid>/status.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bot/store/sql_store.h"
#include "tests/fakes/raw_peer.h"
#include "tests/fakes/server_process.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/wait_until.h"

namespace ccci {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kMiB = 1 << 20;

// A field of /proc/<pid>/status in bytes (VmRSS: now; VmHWM: the peak so far).
int64_t StatusBytes(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1)) * 1024;
  }
  return -1;
}

// About `bytes` of log: what abra and docker print (colours, progress rewritten after \r),
// or text that is mostly markup to escape and colour changes.
std::string MakeLog(int64_t bytes, bool html_heavy) {
  std::string log;
  for (int i = 0; static_cast<int64_t>(log.size()) < bytes; ++i) {
    if (html_heavy) {
      for (int j = 0; j < 20; ++j) log += "\x1b[3" + std::to_string(j % 8) + "m<&\"'>";
      log += "\x1b[0m\n";
    } else {
      log += "\x1b[32m[+]\x1b[0m Step " + std::to_string(i) +
             ": pulling layer 3f1c9e0a7b2d from registry.coopcloud.tech/nextcloud:30.0.4\r";
      log += "\x1b[1;34minfo\x1b[0m layer " + std::to_string(i) + " done, 42% of the image\n";
    }
  }
  return log;
}

class LogMemoryTest : public ::testing::TestWithParam<bool> {};

TEST_P(LogMemoryTest, NonReadingClientsOfABigLogKeepServerMemoryBounded) {
  testing::RaiseOpenFileLimit();
  testing::TempDir dir;
  std::string data = dir.File("data");
  ASSERT_EQ(mkdir(data.c_str(), 0700), 0);
  {  // A finished run whose install stage left a 10 MB log, as the runner leaves it.
    SqlStore::Options so;
    so.path = data + "/cc-ci.db";
    auto store = std::move(SqlStore::Open(so).value());
    Delivery d;
    d.id = "d1";
    d.event = "pull_request";
    Work w;
    w.kind = Work::Kind::kQueueRun;
    w.run = {"coop-cloud/nextcloud", 17, std::string(40, 'a'), "b", "main", "", "t", "u", "opened"};
    int64_t run = store->RecordDelivery(d, w).value().run_id;
    ASSERT_TRUE(store->ClaimRun(run).value());
    ASSERT_TRUE(store
                    ->RecordStage({run, 0, "install", kStagePass, "", 0, 1000, 60000,
                                   "runs/" + std::to_string(run) + "/install.log"})
                    .ok());
    ASSERT_TRUE(store->FinishRun(run, kRunFinished, 1, "").ok());
    ASSERT_EQ(mkdir((data + "/runs").c_str(), 0700), 0);
    ASSERT_EQ(mkdir((data + "/runs/" + std::to_string(run)).c_str(), 0700), 0);
    testing::WriteFile(data + "/runs/" + std::to_string(run) + "/install.log",
                       MakeLog(10 * kMiB, GetParam()));
  }
  testing::ServerProcess server(CCCI_BIN_DIR "/cc-ci", data, {"CC_CI_WEBHOOK_SECRET=s"});
  {
    std::vector<std::unique_ptr<testing::RawPeer>> clients;
    for (int i = 0; i < 100; ++i) {  // from 4 addresses: one would be capped at 64
      std::string from = "127.0.0." + std::to_string(2 + i % 4);
      clients.push_back(std::make_unique<testing::RawPeer>(server.port(), from.c_str()));
      clients.back()->Send("GET /runs/1/logs/install HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    // Each is answered (a page, or 503 over the cap on pages sent at once), and then reads
    // no more.
    for (auto& c : clients) {
      std::string status = c->Read(60s, 12);
      EXPECT_TRUE(status == "HTTP/1.1 200" || status == "HTTP/1.1 503") << status;
    }
    int64_t peak = StatusBytes(server.pid(), "VmHWM");
    printf("peak RSS with 100 peers not reading: %lld MiB\n", static_cast<long long>(peak / kMiB));
    EXPECT_LT(peak, 200 * kMiB) << "peak RSS " << peak / kMiB << " MiB";
  }
  // Gone: what their answers held goes back to the system.
  int64_t rss = 0;
  testing::WaitUntil(
      [&] {
        rss = StatusBytes(server.pid(), "VmRSS");
        return rss < 60 * kMiB;
      },
      20s, 100ms);
  printf("RSS after they left: %lld MiB\n", static_cast<long long>(rss / kMiB));
  EXPECT_LT(rss, 60 * kMiB) << "RSS after " << rss / kMiB << " MiB";
}

INSTANTIATE_TEST_SUITE_P(Logs, LogMemoryTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "HtmlHeavy" : "Plain"; });

}  // namespace
}  // namespace ccci
