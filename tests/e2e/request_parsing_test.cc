// Malformed and ambiguous requests against the real server on port 0 (issue 11, items 3 and
// 14): every one gets an answer with a one-line reason, counted in the metrics, and a request
// that could be read two ways (smuggling behind a proxy) is refused and its connection closed.

#include <gtest/gtest.h>

#include <string>

#include "tests/e2e/server_fixture.h"
#include "tests/fakes/raw_peer.h"
#include "tests/fakes/webhook_client.h"

namespace ccci {
namespace {

using namespace std::chrono_literals;
using testing::Get;
using testing::RawPeer;

class RequestParsingTest : public testing::ServerFixture {
 protected:
  // Sends `head` (then `body`) and reads the answer until the server closes.
  std::string Send(const std::string& head, const std::string& body = "") {
    RawPeer peer(port_);
    peer.Send(head + body);
    std::string answer = peer.Read(5000ms);
    closed_ = peer.Closed();
    return answer;
  }
  bool closed_ = false;
};

constexpr const char* kHook =
    "POST /hooks/gitea HTTP/1.1\r\nHost: x\r\nX-Gitea-Event: pull_request\r\n"
    "Content-Type: application/json\r\n";

TEST_F(RequestParsingTest, AmbiguousOrBadContentLengthIsRefusedWith400AndClosed) {
  Start();
  struct Case {
    const char* name;
    std::string headers;
    const char* reason;
  };
  const Case cases[] = {
      {"negative", "Content-Length: -1\r\n", "invalid Content-Length"},
      {"overflowing", "Content-Length: 99999999999999999999999\r\n", "invalid Content-Length"},
      {"not a number", "Content-Length: 1x\r\n", "invalid Content-Length"},
      {"twice, same value", "Content-Length: 2\r\nContent-Length: 2\r\n",
       "Content-Length repeated"},
      {"twice, different", "Content-Length: 2\r\nContent-Length: 40\r\n",
       "Content-Length repeated"},
      {"with Transfer-Encoding", "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n",
       "sent with Transfer-Encoding"},
      {"Transfer-Encoding before it", "Transfer-Encoding: chunked\r\nContent-Length: 2\r\n",
       "sent with Transfer-Encoding"},
      {"a coding other than chunked", "Transfer-Encoding: gzip\r\n", "must end in chunked"},
  };
  for (const Case& c : cases) {
    // What follows the head would be a second request to a server that read it otherwise.
    std::string answer =
        Send(kHook + c.headers + "\r\n", "{}\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n");
    EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << c.name << ": " << answer;
    EXPECT_NE(answer.find(c.reason), std::string::npos) << c.name << ": " << answer;
    EXPECT_EQ(answer.find("HTTP/1.1", 1), std::string::npos) << c.name << ": one answer only";
    EXPECT_TRUE(closed_) << c.name;
  }
  EXPECT_TRUE(store_->ListRuns({}).value().runs.empty());
  EXPECT_NE(metrics_.Render({}).find("ccci_http_requests_total{code=\"400\",route=\"hooks\"} 8"),
            std::string::npos)
      << metrics_.Render({});
}

TEST_F(RequestParsingTest, OversizedBodySentWholeIsAnswered413NotReset) {
  HttpServerOptions o;
  o.max_body_bytes = 64 * 1024;
  Start(o);
  // The peer sends all of its 4 MB before it reads, as most HTTP clients do: its sending
  // must not be cut by a reset (the server closing with the body unread), or it never reads
  // the 413.
  std::string body(4 << 20, 'x');
  RawPeer peer(port_);
  EXPECT_TRUE(peer.Send(std::string(kHook) + "Content-Length: " + std::to_string(body.size()) +
                        "\r\n\r\n" + body))
      << "reset while sending";
  std::string answer = peer.Read(5000ms);
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer.substr(0, 200);
  EXPECT_NE(answer.find("payload too large: the limit is 65536 bytes"), std::string::npos);
}

TEST_F(RequestParsingTest, HeadOverTheLimitIs431) {
  Start();
  std::string answer =
      Send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
  EXPECT_EQ(answer.rfind("HTTP/1.1 431", 0), 0u) << answer.substr(0, 200);
  EXPECT_TRUE(closed_);
}

TEST_F(RequestParsingTest, MalformedPercentEncodingIs400WithAReasonAndCounted) {
  Start();
  for (const char* path : {"/?%zz", "/?before=%2", "/runs/1/logs/x?raw=%G1"}) {
    auto r = Get(port_, path);
    EXPECT_EQ(r.status, 400) << path;
    EXPECT_EQ(r.body.find('\n'), r.body.size() - 1) << path << ": one line: " << r.body;
    EXPECT_NE(r.body.find("malformed percent-encoding"), std::string::npos) << r.body;
  }
  auto api = Get(port_, "/api/runs?%zz=1");
  EXPECT_EQ(api.status, 400);
  EXPECT_NE(api.body.find("{\"error\":\"bad query string: malformed percent-encoding"),
            std::string::npos)
      << api.body;
  std::string m = metrics_.Render({});
  EXPECT_NE(m.find("ccci_http_requests_total{code=\"400\",route=\"dashboard\"} 2"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("ccci_http_requests_total{code=\"400\",route=\"api_runs\"} 1"),
            std::string::npos);
}

TEST_F(RequestParsingTest, PipelinedRequestsAreAnsweredInOrder) {
  Start();
  RawPeer peer(port_);
  peer.Send(
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string answer = peer.Read(5000ms);
  size_t first = answer.find("HTTP/1.1 200");
  size_t second = answer.find("HTTP/1.1 404");
  size_t third = answer.find("HTTP/1.1 200", second);
  EXPECT_EQ(first, 0u) << answer;
  EXPECT_NE(second, std::string::npos) << answer;
  EXPECT_NE(third, std::string::npos) << answer;
  EXPECT_TRUE(peer.Closed());
}

}  // namespace
}  // namespace ccci
