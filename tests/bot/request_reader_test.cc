// The front's request reader over http-parser: whole requests out of bytes however they are
// cut, pipelining, the limits, and every smuggling-shaped request refused.
#include "bot/http/request_reader.h"

#include <gtest/gtest.h>

#include <string>

#include "bot/http/query_string.h"

namespace ccci {
namespace {

using State = RequestReader::State;

RequestReader::Limits SmallLimits() { return {256, 8, 64}; }

// Feeds `bytes` in pieces of `step` until the reader stops; returns the bytes used.
size_t FeedAll(RequestReader* r, const std::string& bytes, size_t step) {
  size_t used = 0;
  while (used < bytes.size() && (r->state() == State::kIdle || r->state() == State::kReading)) {
    size_t n = std::min(step, bytes.size() - used);
    size_t took = r->Feed(bytes.data() + used, n);
    used += took;
    if (took < n) break;
  }
  return used;
}

TEST(RequestReaderTest, ReadsAWholeRequestHoweverItIsCut) {
  std::string req =
      "POST /hooks/gitea?x=1 HTTP/1.1\r\nHost: h\r\nX-Gitea-Event: push\r\n"
      "Content-Length: 5\r\n\r\nhello";
  for (size_t step : {size_t{1}, size_t{3}, req.size()}) {
    RequestReader r({});
    EXPECT_EQ(FeedAll(&r, req, step), req.size()) << step;
    ASSERT_EQ(r.state(), State::kComplete) << step;
    EXPECT_TRUE(r.keep_alive());
    HttpRequest got = r.Take();
    EXPECT_EQ(got.method, "POST");
    EXPECT_EQ(got.path(), "/hooks/gitea");
    EXPECT_EQ(got.raw_query(), "x=1");
    EXPECT_EQ(got.Header("x-gitea-event"), "push");
    EXPECT_EQ(got.body, "hello");
    EXPECT_EQ(r.state(), State::kIdle);
  }
}

TEST(RequestReaderTest, ChunkedBodiesAreDecodedAndPipelinedRequestsWait) {
  std::string first =
      "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  std::string second = "GET /b HTTP/1.1\r\n\r\n";
  RequestReader r({});
  std::string both = first + second;
  EXPECT_EQ(r.Feed(both.data(), both.size()), first.size());
  ASSERT_EQ(r.state(), State::kComplete);
  EXPECT_EQ(r.Take().body, "abcde");
  EXPECT_EQ(r.Feed(second.data(), second.size()), second.size());
  ASSERT_EQ(r.state(), State::kComplete);
  EXPECT_EQ(r.Take().path(), "/b");
}

TEST(RequestReaderTest, KeepAliveFollowsTheVersionAndConnectionHeader) {
  struct Case {
    const char* req;
    bool keep_alive;
  };
  for (const Case& c : {Case{"GET / HTTP/1.1\r\n\r\n", true},
                        Case{"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", false},
                        Case{"GET / HTTP/1.0\r\n\r\n", false},
                        Case{"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true}}) {
    RequestReader r({});
    std::string s = c.req;
    r.Feed(s.data(), s.size());
    ASSERT_EQ(r.state(), State::kComplete) << c.req;
    EXPECT_EQ(r.keep_alive(), c.keep_alive) << c.req;
  }
}

TEST(RequestReaderTest, ExpectContinueIsAskedForOnceWhenABodyFollows) {
  RequestReader r({});
  std::string head = "POST /a HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n";
  r.Feed(head.data(), head.size());
  EXPECT_TRUE(r.TakeContinue());
  EXPECT_FALSE(r.TakeContinue());
  r.Feed("ok", 2);
  EXPECT_EQ(r.state(), State::kComplete);
}

struct Refused {
  const char* name;
  std::string request;
  int status;
  const char* reason;
};

void PrintTo(const Refused& c, std::ostream* os) { *os << c.name; }

class RefusedRequests : public ::testing::TestWithParam<Refused> {};

TEST_P(RefusedRequests, AreRefusedWithTheirReason) {
  const Refused& c = GetParam();
  RequestReader r(SmallLimits());
  FeedAll(&r, c.request, c.request.size());
  ASSERT_EQ(r.state(), State::kError);
  EXPECT_EQ(r.error_status(), c.status);
  EXPECT_NE(r.error_reason().find(c.reason), std::string::npos) << r.error_reason();
}

INSTANTIATE_TEST_SUITE_P(
    Smuggling, RefusedRequests,
    ::testing::Values(
        Refused{"negative_length", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400,
                "invalid Content-Length"},
        Refused{"overflowing_length",
                "POST / HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n", 400,
                "invalid Content-Length"},
        Refused{"length_twice", "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
                400, "Content-Length repeated"},
        Refused{"length_and_chunked",
                "POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
                "sent with Transfer-Encoding"},
        Refused{"chunked_not_last", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
                400, "must end in chunked"},
        Refused{"bad_chunk_size", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                400, "invalid chunk size"},
        Refused{"declared_too_large", "POST / HTTP/1.1\r\nContent-Length: 65\r\n\r\n", 413,
                "the limit is 64 bytes"},
        Refused{"chunked_too_large",
                "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n41\r\n" +
                    std::string(65, 'x') + "\r\n0\r\n\r\n",
                413, "the limit is 64 bytes"},
        Refused{"head_too_large", "GET / HTTP/1.1\r\nX: " + std::string(300, 'a') + "\r\n\r\n", 431,
                "request head too large"},
        Refused{"too_many_fields",
                "GET / HTTP/1.1\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\nE: 1\r\nF: 1\r\nG: 1\r\nH: "
                "1\r\nI: 1\r\n\r\n",
                431, "too many header fields"},
        Refused{"unknown_method", "BREW / HTTP/1.1\r\n\r\n", 400, "unknown method"},
        Refused{"http2_preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400, "bad request"},
        Refused{"http2", "GET / HTTP/2.0\r\n\r\n", 505, "not supported"}));

TEST(QueryStringTest, DecodesParametersAndRefusesMalformedEscapes) {
  auto q = ParseQuery("a=1&b=x%20y+z&&c&repo=coop-cloud%2Fnextcloud");
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->size(), 4u);
  EXPECT_EQ((*q)[1], (std::pair<std::string, std::string>{"b", "x y z"}));
  EXPECT_EQ((*q)[2], (std::pair<std::string, std::string>{"c", ""}));
  EXPECT_EQ((*q)[3].second, "coop-cloud/nextcloud");
  for (const char* bad : {"%zz", "a=%2", "a=%", "%G0=1", "a=1&b=%4"}) {
    auto r = ParseQuery(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("malformed percent-encoding"), std::string::npos);
  }
  std::string out;
  EXPECT_TRUE(PercentDecode("a+b%2B", false, &out));
  EXPECT_EQ(out, "a+b+");
}

}  // namespace
}  // namespace ccci
