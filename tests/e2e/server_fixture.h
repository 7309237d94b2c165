#pragma once
// The real server on port 0 with a real SQLite store and the webhook intake, for tests that
// talk to it over real sockets.

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "bot/http/metrics.h"
#include "bot/http/server.h"
#include "bot/intake/intake.h"
#include "bot/store/sql_store.h"
#include "tests/fakes/test_files.h"

namespace ccci::testing {

inline constexpr const char* kSecret = "test-secret";

class ServerFixture : public ::testing::Test {
 protected:
  // `data_dir`: where the store lives (default: a temp dir).
  void Start(HttpServerOptions o = {}, const std::string& data_dir = "") {
    std::string dir = data_dir.empty() ? dir_.path() : data_dir;
    SqlStore::Options so;
    so.path = dir + "/cc-ci.db";
    store_ = std::move(SqlStore::Open(so).value());
    intake_ = std::make_unique<Intake>(store_.get(),
                                       Intake::Options{{kSecret}, "cc-ci", RealClock(), {}});
    o.listen = "127.0.0.1:0";
    server_ =
        std::make_unique<HttpServer>(o, HttpServices{intake_.get(), store_.get(), &metrics_, "test",
                                                     "http://127.0.0.1", store_.get(), dir,
                                                     store_.get()});
    ASSERT_TRUE(server_->Start().ok());
    port_ = server_->port();
  }
  void TearDown() override {
    if (server_) server_->Stop(1000);
  }

  // Sends raw bytes and reads until the peer closes or `max` bytes arrive.
  std::string Raw(const std::string& bytes, size_t max = 1 << 16) {
    Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", port_));
    s.setReceiveTimeout(Poco::Timespan(10, 0));
    s.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
    std::string out;
    char buf[4096];
    while (out.size() < max) {
      int n = 0;
      try {
        n = s.receiveBytes(buf, sizeof(buf));
      } catch (const Poco::Exception&) {
        break;  // reset by peer after the answer is fine
      }
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

  TempDir dir_;
  std::unique_ptr<SqlStore> store_;
  std::unique_ptr<Intake> intake_;
  Metrics metrics_;
  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
};

}  // namespace ccci::testing
