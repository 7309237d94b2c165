// Stage logs served by the real server over real sockets: the HTML and raw views, the live
// Server-Sent Events stream (tail, end, reconnect at an offset, the cap) and no way out of
// the data dir. Stage records come from the real SqlStore, as the runner writes them.

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <thread>

#include "bot/http/log_stream.h"
#include "bot/http/metrics.h"
#include "bot/http/server.h"
#include "bot/store/sql_store.h"
#include "tests/fakes/sse_client.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/wait_until.h"
#include "tests/fakes/webhook_client.h"

namespace ccci {
namespace {

using testing::Bytes;
using testing::Event;
using testing::Get;
using testing::SseClient;

class StageLogsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    signal(SIGPIPE, SIG_IGN);  // a peer that hangs up must not kill the test process
    SqlStore::Options so;
    so.path = dir_.File("cc-ci.db");
    store_ = std::move(SqlStore::Open(so).value());
    HttpServerOptions o;
    o.listen = "127.0.0.1:0";
    server_ =
        std::make_unique<HttpServer>(o, HttpServices{nullptr, store_.get(), &metrics_, "test",
                                                     "http://ci.example", nullptr, dir_.path()});
    ASSERT_TRUE(server_->Start().ok());
    port_ = server_->port();

    Delivery d;
    d.id = "d1";
    d.event = "pull_request";
    Work w;
    w.kind = Work::Kind::kQueueRun;
    w.run.repo = "coop-cloud/bonfire";
    w.run.pr = 3;
    w.run.head_sha = "0123456789abcdef0123456789abcdef01234567";
    w.run.title = "t";
    w.run.trigger = "opened";
    run_ = store_->RecordDelivery(d, w).value().run_id;
    ASSERT_TRUE(store_->ClaimRun(run_).value());
    mkdir((dir_.path() + "/runs").c_str(), 0755);
    mkdir((dir_.path() + "/runs/" + std::to_string(run_)).c_str(), 0755);
  }
  void TearDown() override { server_->Stop(1000); }

  std::string LogPath(const std::string& stage) {
    return "runs/" + std::to_string(run_) + "/" + stage + ".log";
  }
  void Record(const std::string& stage, const char* status, int seq = 0,
              std::string log_path = "") {
    StageRecord r{run_,   seq, stage,
                  status, "",  std::nullopt,
                  1000,   0,   log_path.empty() ? LogPath(stage) : log_path};
    if (std::string(status) != kStageRunning) r.exit_code = 0;
    ASSERT_TRUE(store_->RecordStage(r).ok());
  }
  void Append(const std::string& stage, const std::string& bytes) {
    std::ofstream out(dir_.File(LogPath(stage)), std::ios::binary | std::ios::app);
    out << bytes;
  }
  std::string Path(const std::string& rest) {
    return "/runs/" + std::to_string(run_) + "/logs/" + rest;
  }

  testing::TempDir dir_;
  std::unique_ptr<SqlStore> store_;
  Metrics metrics_;
  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
  int64_t run_ = 0;
};

TEST_F(StageLogsTest, HtmlKeepsColoursAndEscapesAndRawIsTheBytes) {
  std::string log = "\x1b[32mok\x1b[0m <script>alert(1)</script>\npull 10%\rpull 100%\n";
  Record("install", kStagePass);
  Append("install", log);
  auto html = Get(port_, Path("install"));
  ASSERT_EQ(html.status, 200) << html.body;
  EXPECT_NE(
      html.body.find(
          "<span class=\"ansi-fg2\">ok</span> &lt;script&gt;alert(1)&lt;/script&gt;\npull 100%\n"),
      std::string::npos)
      << html.body;
  EXPECT_EQ(html.body.find("<script>"), std::string::npos);
  EXPECT_EQ(html.body.find("data-events"), std::string::npos) << "a finished stage is not live";
  auto txt = Get(port_, Path("install.txt"));
  EXPECT_EQ(txt.status, 200);
  EXPECT_EQ(txt.body, log);
  EXPECT_EQ(Get(port_, Path("install?raw=1")).body, log);
}

// A flaky stage keeps both attempts' logs: <stage>.log (it failed) and <stage>.1.log (its
// retry passed), served as /logs/<stage> and /logs/<stage>.1; a stage run once has no ".1".
TEST_F(StageLogsTest, ARetriedStageServesBothAttemptsLogs) {
  StageRecord r{run_, 2,    "backup", kStageFlaky,      "failed, then passed on its retry",
                0,    1000, 9,        LogPath("backup")};
  r.attempts = 2;
  ASSERT_TRUE(store_->RecordStage(r).ok());
  Append("backup", "409 Conflict\n");
  std::ofstream(dir_.File(AttemptLogPath(LogPath("backup"), 2)), std::ios::binary)
      << "backup created\n";
  EXPECT_EQ(Get(port_, Path("backup.txt")).body, "409 Conflict\n");
  EXPECT_EQ(Get(port_, Path("backup.1.txt")).body, "backup created\n");
  auto retry = Get(port_, Path("backup.1"));
  ASSERT_EQ(retry.status, 200) << retry.body;
  EXPECT_NE(retry.body.find("backup created"), std::string::npos);
  EXPECT_NE(retry.body.find("backup (retry)"), std::string::npos);
  EXPECT_NE(retry.body.find("href=\"" + Path("backup.1.txt") + "\""), std::string::npos);
  EXPECT_NE(retry.body.find("flaky"), std::string::npos);
  Record("install", kStagePass);
  Append("install", "ok\n");
  EXPECT_EQ(Get(port_, Path("install.1")).status, 404) << "install ran once";
  std::string api = Get(port_, "/api/runs/" + std::to_string(run_)).body;
  EXPECT_NE(api.find("\"status\":\"flaky\""), std::string::npos) << api;
  EXPECT_NE(api.find("\"attempts\":2,\"log_url\":\"" + Path("backup") + "\",\"retry_log_url\":\"" +
                     Path("backup.1") + "\""),
            std::string::npos)
      << api;
  EXPECT_NE(
      api.find("\"attempts\":1,\"log_url\":\"" + Path("install") + "\",\"retry_log_url\":null"),
      std::string::npos)
      << api;
  EXPECT_EQ(Get(port_, Path("backup.2")).status, 404);
}

TEST_F(StageLogsTest, RunningStagePageContinuesFromTheLastWholeLine) {
  Record("install", kStageRunning);
  Append("install", "\x1b[31mfirst\nsecond\npulling 5");
  auto html = Get(port_, Path("install"));
  ASSERT_EQ(html.status, 200);
  EXPECT_NE(html.body.find("data-events=\"" + Path("install/events") + "\""), std::string::npos);
  EXPECT_NE(html.body.find("data-offset=\"" +
                           std::to_string(std::string("\x1b[31mfirst\nsecond\n").size()) + "\""),
            std::string::npos)
      << html.body;
  EXPECT_NE(html.body.find("data-sgr=\"31\""), std::string::npos);
  EXPECT_NE(html.body.find("id=\"partial\"><span class=\"ansi-fg1\">pulling 5</span></span>"),
            std::string::npos);
  EXPECT_NE(html.body.find("<script src=\"/assets/log.js\""), std::string::npos);
  auto js = Get(port_, "/assets/log.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_NE(js.body.find("EventSource"), std::string::npos);
}

TEST_F(StageLogsTest, LiveStreamSendsAppendedBytesThenEnds) {
  Record("install", kStageRunning);
  Append("install", "line 1\n");
  SseClient sse(port_, Path("install/events"));
  ASSERT_EQ(sse.status(), 200);
  EXPECT_EQ(sse.content_type(), "text/event-stream; charset=utf-8");
  auto e = sse.Next();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->event, "");
  EXPECT_EQ(Bytes(*e), "line 1\n");
  EXPECT_EQ(e->id, "7");

  Append("install", "\x1b[33mline 2\r\x1b[0m\"quoted\"\n");
  e = sse.Next();
  ASSERT_TRUE(e);
  EXPECT_EQ(Bytes(*e), "\x1b[33mline 2\r\x1b[0m\"quoted\"\n");

  // A character cut in two by the writer arrives whole.
  Append("install", "caf\xc3");
  e = sse.Next();
  ASSERT_TRUE(e);
  EXPECT_EQ(Bytes(*e), "caf");
  Append("install", "\xa9\n");
  e = sse.Next();
  ASSERT_TRUE(e);
  EXPECT_EQ(Bytes(*e), "\xc3\xa9\n");

  Append("install", "last words\n");
  Record("install", kStagePass);
  std::string rest;
  for (;;) {
    e = sse.Next();
    ASSERT_TRUE(e) << "the stream must end with an end event";
    if (e->event == "end") break;
    rest += Bytes(*e);
  }
  EXPECT_EQ(rest, "last words\n");
  EXPECT_EQ(e->data, "pass");
  EXPECT_FALSE(sse.Next()) << "nothing after the end";
}

TEST_F(StageLogsTest, ReconnectWithLastEventIdResumesAtTheOffset) {
  std::string log = "one\ntwo\nthree\n";
  Record("install", kStageRunning);
  Append("install", log);
  std::string id;
  {
    SseClient first(port_, Path("install/events"));
    auto e = first.Next();
    ASSERT_TRUE(e);
    EXPECT_EQ(Bytes(*e), log);
    id = e->id;
  }
  Append("install", "four\n");
  SseClient again(port_, Path("install/events"), "4");  // had "one\n" only
  auto e = again.Next();
  ASSERT_TRUE(e);
  EXPECT_EQ(Bytes(*e), "two\nthree\nfour\n");
  EXPECT_EQ(e->id, std::to_string(log.size() + 5));

  SseClient from(port_, Path("install/events?from=" + id));
  Append("install", "five\n");
  std::string got;
  while (got.size() < 10) {
    e = from.Next();
    ASSERT_TRUE(e) << got;
    got += Bytes(*e);
  }
  EXPECT_EQ(got, "four\nfive\n");
}

TEST_F(StageLogsTest, FinishedStageStreamSendsTheRestAndEnds) {
  Record("lint", kStageFail);
  Append("lint", "R014 failed\n");
  SseClient sse(port_, Path("lint/events"), "5");
  auto e = sse.Next();
  ASSERT_TRUE(e);
  EXPECT_EQ(Bytes(*e), "failed\n");
  e = sse.Next();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->event, "end");
  EXPECT_EQ(e->data, "fail");
}

TEST_F(StageLogsTest, UnknownStagesAndPathsOutOfTheDataDirAre404) {
  Record("install", kStageRunning);
  Append("install", "x\n");
  // The runner's record pointing out of the data dir is not followed either.
  Record("evil", kStagePass, 1, "../cc-ci.db");
  Record("abs", kStagePass, 2, dir_.File("cc-ci.db"));
  for (const std::string& p :
       {Path("upgrade"), Path("upgrade/events"), Path("upgrade.txt"), Path("../../../cc-ci.db"),
        Path("..%2F..%2F..%2Fcc-ci.db"), Path("install%2F..%2F..%2Fcc-ci.db"), Path("evil"),
        Path("evil.txt"), Path("evil/events"), Path("abs.txt"),
        std::string("/runs/99/logs/install"), std::string("/runs/99/logs/install/events")}) {
    auto r = Get(port_, p);
    EXPECT_EQ(r.status, 404) << p;
    EXPECT_EQ(r.body.find("SQLite"), std::string::npos) << p;
  }
  EXPECT_EQ(Get(port_, Path("install")).status, 200);
}

TEST_F(StageLogsTest, StreamsAreCappedWith503) {
  Record("install", kStageRunning);
  Append("install", "x\n");
  std::vector<std::unique_ptr<SseClient>> open;
  for (int i = 0; i < kMaxLogStreams; ++i) {
    open.push_back(std::make_unique<SseClient>(port_, Path("install/events")));
    ASSERT_EQ(open.back()->status(), 200) << i;
    ASSERT_TRUE(open.back()->Next()) << i;  // being served, so counted
  }
  SseClient refused(port_, Path("install/events"));
  EXPECT_EQ(refused.status(), 503);
  open.pop_back();  // a viewer leaves: its slot frees once the server notices
  EXPECT_TRUE(
      testing::WaitUntil([&] { return SseClient(port_, Path("install/events")).status() == 200; },
                         std::chrono::milliseconds(2500), std::chrono::milliseconds(50)));
}

TEST_F(StageLogsTest, StoppingTheServerEndsOpenStreams) {
  Record("install", kStageRunning);
  Append("install", "x\n");
  SseClient sse(port_, Path("install/events"));
  ASSERT_TRUE(sse.Next());
  auto start = std::chrono::steady_clock::now();
  server_->Stop(0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

}  // namespace
}  // namespace ccci
