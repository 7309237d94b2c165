// The real server on port 0, talked to over real sockets: signed, forged, replayed,
// oversized, malformed and concurrent deliveries; idle keep-alive peers; the JSON API.

#include "bot/http/server.h"

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "bot/http/metrics.h"
#include "bot/intake/intake.h"
#include "bot/store/sql_store.h"
#include "renderer/screenshotter.h"
#include "tests/e2e/server_fixture.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/test_store.h"
#include "tests/fakes/wait_until.h"
#include "tests/fakes/webhook_client.h"

namespace ccci {
namespace {

using testing::Get;
using testing::PostWebhook;
using testing::ReadShared;

using testing::kSecret;

class ServerTest : public testing::ServerFixture {};

TEST_F(ServerTest, SignedDeliveryIsPersistedBeforeThe202) {
  Start();
  auto r = PostWebhook(port_, "pull_request", ReadShared("gitea/payloads/pull_request_opened.json"),
                       "d-1", kSecret);
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(r.body, "accepted: run 1 queued for coop-cloud/nextcloud#17 at 9b2e7c4\n");
  // Persisted, not just queued in memory: visible through a fresh connection to the file.
  SqlStore::Options so;
  so.path = dir_.File("cc-ci.db");
  auto other = SqlStore::Open(so);
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE((*other)->HasDelivery("d-1").value());
}

TEST_F(ServerTest, ForgedReplayedMalformedAndWrongMethod) {
  Start();
  std::string body = ReadShared("gitea/payloads/pull_request_opened.json");
  EXPECT_EQ(PostWebhook(port_, "pull_request", body, "d-1", "forged").status, 401);
  EXPECT_EQ(PostWebhook(port_, "pull_request", body, "d-1", kSecret).status, 202);
  auto replay = PostWebhook(port_, "pull_request", body, "d-1", kSecret);
  EXPECT_EQ(replay.status, 200);
  EXPECT_EQ(replay.body, "duplicate: delivery d-1 was already received\n");
  auto bad = PostWebhook(port_, "pull_request", body.substr(0, 100), "d-2", kSecret);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body.find('\n'), bad.body.size() - 1) << "one line";
  EXPECT_EQ(Get(port_, "/hooks/gitea").status, 405);
  EXPECT_EQ(Get(port_, "/nope").status, 404);
  auto ignored = PostWebhook(port_, "issues", "{}", "d-3", kSecret);
  EXPECT_EQ(ignored.status, 200);
  EXPECT_EQ(ignored.body, "ignored: event 'issues' is not used by cc-ci\n");
  EXPECT_EQ(store_->ListRuns({}).value().runs.size(), 1u);
}

TEST_F(ServerTest, OversizedBodyIs413WithoutReadingItAll) {
  Start();
  // Declares 10 MB but sends only the headers and 10 bytes: the answer must come anyway.
  std::string req =
      "POST /hooks/gitea HTTP/1.1\r\nHost: x\r\nX-Gitea-Event: pull_request\r\n"
      "X-Gitea-Signature: 00\r\nContent-Type: application/json\r\n"
      "Content-Length: 10485760\r\n\r\n{\"a\":1234}";
  std::string resp = Raw(req);
  EXPECT_EQ(resp.rfind("HTTP/1.1 413", 0), 0u) << resp;
  EXPECT_NE(resp.find("payload too large"), std::string::npos);
}

TEST_F(ServerTest, OversizedChunkedBodyIs413) {
  HttpServerOptions o;
  o.max_body_bytes = 4096;
  Start(o);
  std::string chunk(3000, 'x');
  char size[16];
  snprintf(size, sizeof(size), "%zx", chunk.size());
  std::string req =
      "POST /hooks/gitea HTTP/1.1\r\nHost: x\r\nX-Gitea-Event: pull_request\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) req += std::string(size) + "\r\n" + chunk + "\r\n";
  req += "0\r\n\r\n";
  std::string resp = Raw(req);
  EXPECT_EQ(resp.rfind("HTTP/1.1 413", 0), 0u) << resp.substr(0, 200);
}

TEST_F(ServerTest, ConcurrentDeliveriesAreAllStored) {
  Start();
  std::string fixture = ReadShared("gitea/payloads/pull_request_synchronized.json");
  constexpr int kThreads = 32, kEach = 10;
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Poco::Net::HTTPClientSession s("127.0.0.1", port_);  // keep-alive, like a busy Gitea
      s.setTimeout(Poco::Timespan(10, 0));
      for (int i = 0; i < kEach; ++i) {
        int pr = t * 100 + i + 1;
        char sha[41];
        snprintf(sha, sizeof(sha), "%040d", pr);
        auto r = PostWebhook(s, "pull_request", testing::SyncBody(fixture, pr, sha),
                             "c-" + std::to_string(pr), kSecret);
        if (r.status == 202) accepted++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(accepted.load(), kThreads * kEach);
  EXPECT_EQ(store_->CountQueue().value().queued, kThreads * kEach);
}

// A delivery's answer is written by whichever thread commits it (no worker waits for it). A
// stop that begins while it is being committed still lets it be acknowledged, and does not free
// its connection under that thread.
TEST_F(ServerTest, AStopWaitsForTheAnswerOfADeliveryBeingCommitted) {
  Start();
  testing::HeldLead holder(store_.get());  // the delivery waits in the store's queue
  testing::HttpResult posted;
  std::thread poster([&] {
    try {
      posted =
          PostWebhook(port_, "pull_request", ReadShared("gitea/payloads/pull_request_opened.json"),
                      "d-stop", kSecret);
    } catch (const Poco::Exception& e) {
      posted.body = "no answer: " + e.displayText();
    }
  });
  testing::WaitUntil([&] { return store_->QueuedWrites() == 1; });
  std::thread stopper([&] { server_->Stop(0); });
  // The stop has begun once the listener is gone.
  testing::WaitUntil([&] {
    try {
      Poco::Net::StreamSocket probe(Poco::Net::SocketAddress("127.0.0.1", port_));
      return false;
    } catch (const Poco::Exception&) {
      return true;
    }
  });
  holder.Release();
  poster.join();
  stopper.join();
  EXPECT_EQ(posted.status, 202) << posted.body;
  EXPECT_TRUE(store_->HasDelivery("d-stop").value());
}

TEST_F(ServerTest, IdleKeepAlivePeersDoNotStarveANewDelivery) {
  HttpServerOptions o;
  o.keepalive_timeout_s = 60;  // starvation would last longer than Gitea's 5 s timeout
  Start(o);
  std::vector<std::unique_ptr<Poco::Net::HTTPClientSession>> idle;
  for (int i = 0; i < 200; ++i) {
    auto s = std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", port_);
    s->setKeepAlive(true);
    s->setTimeout(Poco::Timespan(10, 0));
    ASSERT_EQ(Get(*s, "/healthz").status, 200) << i;
    idle.push_back(std::move(s));  // connected, holding a server thread, silent
  }
  Poco::Net::HTTPClientSession fresh("127.0.0.1", port_);
  fresh.setTimeout(Poco::Timespan(5, 0));  // Gitea's delivery timeout
  auto r = testing::PostWebhook(fresh, "pull_request",
                                ReadShared("gitea/payloads/pull_request_opened.json"), "late",
                                kSecret);
  EXPECT_EQ(r.status, 202);
}

TEST_F(ServerTest, ApiListsRunsNewestFirstWithPaging) {
  Start();
  std::string fixture = ReadShared("gitea/payloads/pull_request_synchronized.json");
  for (int pr = 1; pr <= 5; ++pr) {
    char sha[41];
    snprintf(sha, sizeof(sha), "%040d", pr);
    ASSERT_EQ(PostWebhook(port_, "pull_request", testing::SyncBody(fixture, pr, sha),
                          "p" + std::to_string(pr), kSecret)
                  .status,
              202);
  }
  auto page = Get(port_, "/api/runs?limit=2");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("\"id\":5"), std::string::npos);
  EXPECT_NE(page.body.find("\"next\":\"/api/runs?before=4&limit=2\""), std::string::npos)
      << page.body;
  auto one = Get(port_, "/api/runs/3");
  EXPECT_EQ(one.status, 200);
  EXPECT_NE(one.body.find("\"pr\":3"), std::string::npos);
  EXPECT_EQ(Get(port_, "/api/runs/99").status, 404);
  EXPECT_EQ(Get(port_, "/api/runs/abc").status, 404);
  EXPECT_EQ(Get(port_, "/api/runs?bogus=1").status, 400);
}

TEST_F(ServerTest, BadgesForRunsPullsAndRepos) {
  Start();
  // A repo never seen: a grey "unknown" badge, not a broken image.
  auto unknown = Get(port_, "/badge/nobody/nothing.svg");
  EXPECT_EQ(unknown.status, 200);
  EXPECT_NE(unknown.body.find(">unknown</text>"), std::string::npos);
  EXPECT_NE(unknown.body.find("#9f9f9f"), std::string::npos);

  ASSERT_EQ(PostWebhook(port_, "pull_request", ReadShared("gitea/payloads/pull_request_opened.json"),
                        "b1", kSecret)
                .status,
            202);
  auto queued = Get(port_, "/runs/1/badge.svg");
  EXPECT_EQ(queued.status, 200);
  EXPECT_NE(queued.body.find(">queued</text>"), std::string::npos);
  EXPECT_NE(queued.body.find("#007ec6"), std::string::npos);
  EXPECT_NE(Get(port_, "/badge/coop-cloud/nextcloud/pulls/17.svg").body.find(">queued</text>"),
            std::string::npos);

  // The run finishes at level 4 (written the way the runner will).
  ASSERT_TRUE(store_
                  ->Write([](SqlDb& db) {
                    return db.Exec("UPDATE runs SET state = 'finished', level = 4 WHERE id = 1");
                  })
                  .ok());
  auto pr = Get(port_, "/badge/coop-cloud/nextcloud/pulls/17.svg");
  EXPECT_NE(pr.body.find(">level 4</text>"), std::string::npos) << pr.body;
  auto png = Get(port_, "/runs/1/badge.png");
  EXPECT_EQ(png.status, 200);
  EXPECT_EQ(png.body.substr(1, 3), "PNG");
  // The default-branch badge has no branch runs yet: unknown. Its JSON is shields' endpoint.
  auto json = Get(port_, "/badge/coop-cloud/nextcloud.json");
  EXPECT_EQ(json.body,
            "{\"schemaVersion\":1,\"label\":\"cc-ci\",\"message\":\"unknown\",\"color\":\"9f9f9f\"}");

  // ETag round trip.
  Poco::Net::HTTPClientSession s("127.0.0.1", port_);
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, "/runs/1/badge.svg",
                             Poco::Net::HTTPMessage::HTTP_1_1);
  s.sendRequest(req);
  Poco::Net::HTTPResponse resp;
  s.receiveResponse(resp).ignore(1 << 20);
  std::string etag = resp.get("ETag");
  EXPECT_EQ(resp.get("Cache-Control"), "public, max-age=86400");
  Poco::Net::HTTPRequest again(Poco::Net::HTTPRequest::HTTP_GET, "/runs/1/badge.svg",
                               Poco::Net::HTTPMessage::HTTP_1_1);
  again.set("If-None-Match", etag);
  s.sendRequest(again);
  Poco::Net::HTTPResponse resp2;
  s.receiveResponse(resp2).ignore(1 << 20);
  EXPECT_EQ(resp2.getStatus(), 304);

  auto card = Get(port_, "/runs/1/card.png");
  EXPECT_EQ(card.status, 200);
  EXPECT_EQ(card.body.substr(1, 3), "PNG");
  EXPECT_EQ(Get(port_, "/runs/99/card.png").status, 404);
  EXPECT_EQ(Get(port_, "/badge/a/b/c.svg").status, 404);
  EXPECT_EQ(Get(port_, "/runs/x/badge.svg").status, 404);
  EXPECT_EQ(Get(port_, "/badge/a/b.gif").status, 404);
}

// The level history: the README badge, the recipe's JSON with flaky rates, the flaky metric.
TEST_F(ServerTest, HistoryBadgeRecipeApiAndFlakyMetric) {
  Start();
  EXPECT_NE(Get(port_, "/badge/coop-cloud/bonfire/history.svg").body.find("no runs yet"),
            std::string::npos);
  std::vector<int64_t> ids;
  for (std::optional<int64_t> level : {std::optional<int64_t>(4), std::optional<int64_t>(),
                                       std::optional<int64_t>(5)}) {
    RunRequest r = testing::PrRun("coop-cloud/bonfire", 0, "sha" + std::to_string(ids.size()));
    int64_t id = testing::QueueRun(store_.get(), r);
    ASSERT_TRUE(store_->ClaimRun(id).value());
    const char* backup = level == 5 ? kStageFlaky : kStagePass;
    ASSERT_TRUE(store_->RecordStage({id, 2, "backup", backup, "", 0, 1, 1, ""}).ok());
    ASSERT_TRUE(store_->FinishRun(id, level ? kRunFinished : kRunError, level, "").ok());
    ids.push_back(id);
  }
  auto svg = Get(port_, "/badge/coop-cloud/bonfire/history.svg");
  EXPECT_EQ(svg.status, 200);
  EXPECT_NE(svg.body.find("4, CI error, 5 (oldest first)"), std::string::npos) << svg.body;
  EXPECT_EQ(Get(port_, "/badge/coop-cloud/bon%3Cfire/history.svg").status, 404);
  // Cacheable like the other images: an ETag, and a short life (a run may end any time).
  Poco::Net::HTTPClientSession s("127.0.0.1", port_);
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET,
                             "/badge/coop-cloud/bonfire/history.svg",
                             Poco::Net::HTTPMessage::HTTP_1_1);
  s.sendRequest(req);
  Poco::Net::HTTPResponse resp;
  s.receiveResponse(resp).ignore(1 << 20);
  EXPECT_EQ(resp.getContentType(), "image/svg+xml");
  EXPECT_EQ(resp.get("Cache-Control"), "public, max-age=60");
  req.set("If-None-Match", resp.get("ETag"));
  s.sendRequest(req);
  Poco::Net::HTTPResponse resp2;
  s.receiveResponse(resp2).ignore(1 << 20);
  EXPECT_EQ(resp2.getStatus(), 304);

  auto api = Get(port_, "/api/recipes/coop-cloud/bonfire");
  EXPECT_EQ(api.status, 200);
  std::string history = "\"history\":[{\"id\":" + std::to_string(ids[0]) +
                        ",\"pr\":0,\"state\":\"finished\",\"level\":4,";
  EXPECT_NE(api.body.find(history), std::string::npos) << api.body;
  EXPECT_NE(api.body.find("\"state\":\"error\",\"level\":null"), std::string::npos);
  EXPECT_NE(api.body.find("\"stages\":[{\"stage\":\"backup\",\"flaky\":1,\"runs\":3,"
                          "\"flaky_rate\":0.3333"),
            std::string::npos)
      << api.body;
  EXPECT_EQ(Get(port_, "/api/recipes/not-a-repo").status, 404);

  metrics_.ObserveStage("backup", kStageFlaky, 12);
  metrics_.ObserveStage("install", kStagePass, 12);
  auto m = Get(port_, "/metrics").body;
  EXPECT_NE(m.find("ccci_stage_flaky_total{stage=\"backup\"} 1"), std::string::npos) << m;
  EXPECT_EQ(m.find("ccci_stage_flaky_total{stage=\"install\"}"), std::string::npos);
}

TEST_F(ServerTest, CardShowsStagesAndScreenshotIsServedFromTheRunDir) {
  Start();
  PostWebhook(port_, "pull_request", ReadShared("gitea/payloads/pull_request_opened.json"), "c1",
              kSecret);
  ASSERT_TRUE(*store_->ClaimRun(1));
  auto before = Get(port_, "/runs/1/card.png");
  auto shot = Get(port_, "/runs/1/screenshot.png");
  EXPECT_EQ(shot.status, 200);
  EXPECT_EQ(shot.body.substr(1, 3), "PNG") << "a placeholder until the screenshot is taken";
  ASSERT_TRUE(store_->RecordStage({1, 0, "install", kStagePass, "", 0, 1000, 42000, "runs/1/install.log"}).ok());
  auto after = Get(port_, "/runs/1/card.png");
  EXPECT_EQ(after.status, 200);
  EXPECT_NE(after.body, before.body) << "the card draws the recorded stages";

  auto png = render::PlaceholderScreenshotPng("the app");
  ASSERT_TRUE(png.ok());
  ASSERT_EQ(system(("mkdir -p '" + dir_.path() + "/runs/1'").c_str()), 0);
  std::ofstream(dir_.path() + "/runs/1/screenshot.png", std::ios::binary) << *png;
  EXPECT_EQ(Get(port_, "/runs/1/screenshot.png").body, *png);
  EXPECT_EQ(Get(port_, "/runs/99/screenshot.png").status, 404);
}

// Each thread is named for what it does (top -H, perf and gdb show the name), so an operator
// can tell the busy one: the front loop, the hook and page workers, the store's committer.
TEST_F(ServerTest, ItsThreadsAreNamedForWhatTheyDo) {
  Start();
  std::set<std::string> names;
  auto named = [&] {  // each thread names itself once it runs
    names.clear();
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
      std::string comm;
      std::getline(std::ifstream(task.path() / "comm"), comm);
      names.insert(comm);
    }
    for (const char* name :
         {"http-front", "http-hook-0", "http-hook-3", "http-page-0", "store-commit"}) {
      if (names.count(name) != 1) return false;
    }
    return true;
  };
  EXPECT_TRUE(testing::WaitUntil(named)) << ::testing::PrintToString(names);
}

TEST_F(ServerTest, MetricsAndHealth) {
  Start();
  PostWebhook(port_, "pull_request", ReadShared("gitea/payloads/pull_request_opened.json"), "m1",
              kSecret);
  PostWebhook(port_, "pull_request", "{}", "m2", "forged");
  EXPECT_EQ(Get(port_, "/healthz").body, "ok\n");
  auto m = Get(port_, "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("ccci_webhook_deliveries_total{event=\"pull_request\",outcome=\"accepted\"} 1"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("outcome=\"unauthorized\"} 1"), std::string::npos);
  EXPECT_NE(m.body.find("ccci_queue_depth{state=\"queued\"} 1"), std::string::npos);
  EXPECT_NE(m.body.find("ccci_webhook_intake_seconds_bucket"), std::string::npos);
}

}  // namespace
}  // namespace ccci
