// Peers that hold connections open, send slowly or never, against the real server on port 0
// (issue 11, item 1): Gitea's deliveries must still be answered within its 5 s timeout, and
// stored. Attackers come from other loopback addresses than the "Gitea" peer (127.0.0.1),
// and from the same one.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/server_fixture.h"
#include "tests/fakes/raw_peer.h"
#include "tests/fakes/wait_until.h"
#include "tests/fakes/webhook_client.h"

namespace ccci {
namespace {

using namespace std::chrono_literals;
using testing::kSecret;
using testing::RawPeer;

// Opens `count` connections spread over `addresses` loopback addresses from 127.0.0.<first>.
std::vector<std::unique_ptr<RawPeer>> Connect(uint16_t port, int count, int addresses,
                                              int first = 2) {
  std::vector<std::unique_ptr<RawPeer>> peers;
  for (int i = 0; i < count; ++i) {
    std::string from = "127.0.0." + std::to_string(first + i % addresses);
    peers.push_back(std::make_unique<RawPeer>(port, from.c_str()));
  }
  return peers;
}

// Keeps every peer sending one more byte of an endless header each `every`, as a slow-loris
// attack does (each byte well within any per-read timeout).
class Trickle {
 public:
  Trickle(std::vector<std::unique_ptr<RawPeer>>* peers, std::chrono::milliseconds every)
      : thread_([this, peers, every] {
          for (auto& p : *peers) p->SendNow("POST /hooks/gitea HTTP/1.1\r\nHost: x\r\nX-Slow: ");
          while (!stop_) {
            for (auto& p : *peers) p->SendNow("a");
            rounds_++;
            std::unique_lock<std::mutex> lock(mu_);
            stopped_.wait_for(lock, every, [this] { return stop_.load(); });
          }
        }) {}
  ~Trickle() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    stopped_.notify_all();
    thread_.join();
  }
  int rounds() const { return rounds_.load(); }

 private:
  std::mutex mu_;
  std::condition_variable stopped_;
  std::atomic<bool> stop_{false};
  std::atomic<int> rounds_{0};
  std::thread thread_;
};

class SlowPeersTest : public testing::ServerFixture {
 protected:
  void SetUp() override { testing::RaiseOpenFileLimit(); }

  // A signed delivery from 127.0.0.1 with Gitea's 5 s timeout: 202, and stored.
  void ExpectDeliveryAnswered(const std::string& id) {
    Poco::Net::HTTPClientSession gitea("127.0.0.1", port_);
    gitea.setTimeout(Poco::Timespan(5, 0));
    testing::HttpResult r;
    ASSERT_NO_THROW(
        r = testing::PostWebhook(gitea, "pull_request",
                                 testing::ReadShared("gitea/payloads/pull_request_opened.json"), id,
                                 kSecret));
    EXPECT_EQ(r.status, 202) << r.body;
    EXPECT_TRUE(store_->HasDelivery(id).value());
  }
};

TEST_F(SlowPeersTest, SlowLorisPeersDoNotStopWebhookIntake) {
  Start();
  // 600 peers (60 on each of 10 addresses, under the per-peer cap), each sending a header
  // byte every 500 ms and never finishing.
  auto peers = Connect(port_, 600, 10);
  Trickle trickle(&peers, 500ms);
  ASSERT_TRUE(testing::WaitUntil([&] { return trickle.rounds() >= 2; }));
  ExpectDeliveryAnswered("while-slow-loris");
}

TEST_F(SlowPeersTest, SlowLorisFromGiteasOwnAddressDoesNotStopIt) {
  Start();
  // Behind a proxy, or from the same host: the slow peers share Gitea's address.
  auto peers = Connect(port_, 600, 1, 1);
  Trickle trickle(&peers, 500ms);
  ASSERT_TRUE(testing::WaitUntil([&] { return trickle.rounds() >= 2; }));
  ExpectDeliveryAnswered("same-address-slow-loris");
}

TEST_F(SlowPeersTest, IdleSocketsDoNotDelayADelivery) {
  Start();
  auto peers = Connect(port_, 600, 10);  // connected, silent
  ExpectDeliveryAnswered("after-idle-sockets");
}

TEST_F(SlowPeersTest, ARequestMustArriveWholeWithinTheRequestTimeout) {
  HttpServerOptions o;
  o.request_timeout_s = 1;
  Start(o);
  // Never silent for long (a byte every 200 ms), but never done: answered 408, then closed.
  RawPeer slow(port_);
  ASSERT_TRUE(slow.Send("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: "));
  std::string answer;
  for (int i = 0; i < 50 && answer.empty(); ++i) {
    slow.SendNow("a");
    answer = slow.Read(200ms);
  }
  EXPECT_EQ(answer.rfind("HTTP/1.1 408", 0), 0u) << answer;
  EXPECT_NE(answer.find("request timeout"), std::string::npos) << answer;
  EXPECT_TRUE(slow.Closed(5000ms));
}

TEST_F(SlowPeersTest, APeerOverItsCapLosesItsOldestConnections) {
  Start();
  auto peers = Connect(port_, 100, 1);  // one address, over the cap of 64
  RawPeer other(port_, "127.0.0.9");
  // The 36 oldest are closed by the server; the newest 64 and the other peer stay.
  EXPECT_TRUE(peers[35]->Closed(5000ms));
  for (int i = 0; i < 35; ++i) EXPECT_TRUE(peers[i]->Closed(100ms)) << i;
  for (int i = 36; i < 100; ++i) EXPECT_FALSE(peers[i]->Closed()) << i;
  EXPECT_FALSE(other.Closed());
  // The newest still get answers.
  ASSERT_TRUE(peers[99]->Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(peers[99]->Read(2000ms, 12), "HTTP/1.1 200");
}

TEST_F(SlowPeersTest, OverTheConnectionCapTheOldestWaitingConnectionGoes) {
  HttpServerOptions o;
  o.max_connections = 100;
  Start(o);
  auto peers = Connect(port_, 150, 10);  // idle: the oldest 50 make room for the rest
  ExpectDeliveryAnswered("over-the-cap");
  EXPECT_TRUE(peers[49]->Closed(5000ms));
  for (int i = 0; i < 49; ++i) EXPECT_TRUE(peers[i]->Closed(100ms)) << i;
  EXPECT_FALSE(peers[149]->Closed());
  EXPECT_NE(metrics_.Render({}).find("ccci_http_connections_dropped_total{reason=\"evicted\"}"),
            std::string::npos);
}

TEST_F(SlowPeersTest, BodiesInFlightAreCappedAndTheOneOverIsRefused) {
  HttpServerOptions o;
  o.max_body_bytes = 200 * 1024;
  o.max_request_memory = 300 * 1024;
  Start(o);
  // Three peers each send 120 KB of a body they never finish: the one whose bytes would
  // pass the cap gets 503 and is closed, the other two wait on, and a small delivery still
  // fits.
  std::string head = "POST /hooks/gitea HTTP/1.1\r\nHost: x\r\nContent-Length: 180000\r\n\r\n";
  std::string part(120 * 1024, 'x');
  std::vector<std::unique_ptr<RawPeer>> holders;
  for (int i = 0; i < 3; ++i) {
    std::string from = "127.0.0." + std::to_string(2 + i);
    holders.push_back(std::make_unique<RawPeer>(port_, from.c_str()));
    ASSERT_TRUE(holders.back()->Send(head + part));
  }
  auto answered = [&] {
    int n = 0;
    for (auto& h : holders) n += h->Readable() ? 1 : 0;
    return n;
  };
  for (int i = 0; i < 100 && answered() == 0; ++i) holders[i % 3]->Readable(50ms);
  ASSERT_EQ(answered(), 1);
  for (auto& h : holders) {
    if (!h->Readable()) continue;
    std::string answer = h->Read(1000ms);
    EXPECT_EQ(answer.rfind("HTTP/1.1 503", 0), 0u) << answer.substr(0, 200);
    EXPECT_NE(answer.find("too much request data in flight"), std::string::npos);
  }
  ExpectDeliveryAnswered("small-enough");
}

}  // namespace
}  // namespace ccci
