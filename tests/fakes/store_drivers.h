#pragma once
// The store tests run once per driver (INSTANTIATE_TEST_SUITE_P over kStoreDrivers): SQLite on
// a file in a temp dir, PostgreSQL on the throwaway server of the ctest fixture `postgres`
// (tests/pg/pg_lane.sh writes CCCI_PG_LANE_DIR/url), each test in a schema of its own.
// When the server did not come up the postgres cases fail, naming why (CCCI_PG_LANE_DIR/error):
// CI must not pass without them. Set CC_CI_TEST_POSTGRES=off to skip them on purpose (running
// a test binary by hand, outside ctest).

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "base/clock.h"
#include "bot/store/pg_db.h"
#include "bot/store/sql_store.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/test_files.h"

namespace ccci::testing {

inline const char* const kStoreDrivers[] = {"sqlite", "postgres"};
inline std::string DriverName(const ::testing::TestParamInfo<const char*>& info) {
  return info.param;
}

inline std::string ReadLaneFile(const std::string& name) {
  std::ifstream in(std::string(CCCI_PG_LANE_DIR) + "/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// One database of the driver under test, reopened as often as a test restarts cc-ci.
class DriverStore {
 public:
  explicit DriverStore(std::string driver) : driver_(std::move(driver)) {}

  // Fails the test (or skips it, with CC_CI_TEST_POSTGRES=off) when the driver is not there.
  // Call from SetUp, then ASSERT_TRUE(available()).
  void Prepare() {
    if (driver_ != "postgres") {
      available_ = true;
      return;
    }
    if (const char* off = getenv("CC_CI_TEST_POSTGRES"); off && std::string(off) == "off") {
      GTEST_SKIP() << "CC_CI_TEST_POSTGRES=off";
    }
    std::string url = ReadLaneFile("url");
    if (url.empty()) {
      std::string why = ReadLaneFile("error");
      FAIL() << "no PostgreSQL test server (" << CCCI_PG_LANE_DIR
             << "): " << (why.empty() ? "the ctest fixture pg_lane_up did not run" : why);
    }
    static std::atomic<int> n{0};
    schema_ = "t" + std::to_string(getpid()) + "_" + std::to_string(n++);
    // A fresh schema per test: the store's tables land in the first schema on the path.
    auto admin = PgDb::Open(url);
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    Status made = (*admin)->Exec("CREATE SCHEMA " + schema_);
    ASSERT_TRUE(made.ok()) << made.ToString();
    url_ = url + " application_name=" + schema_ + " options='-c search_path=" + schema_ + "'";
    available_ = true;
  }
  bool available() const { return available_; }

  SqlStore::Options Options(Clock* clock = RealClock()) const {
    SqlStore::Options o;
    o.driver = driver_;
    o.path = dir_.path() + "/cc-ci.db";
    o.url = url_;
    o.clock = clock;
    return o;
  }
  std::unique_ptr<SqlStore> Open(Clock* clock = RealClock()) const {
    auto s = SqlStore::Open(Options(clock));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  const std::string& driver() const { return driver_; }
  // postgres: the test's schema, also the application_name of its store's connections.
  const std::string& schema() const { return schema_; }
  const TempDir& dir() const { return dir_; }

 private:
  std::string driver_;
  TempDir dir_;
  std::string schema_;
  std::string url_;
  bool available_ = false;
};

// A test suite parameterised over kStoreDrivers: each test gets a fresh store of its driver on a
// fake clock (store_ stays null when the driver is not there: SetUp failed or skipped).
class DriverStoreTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    db_.Prepare();
    if (!db_.available()) return;
    store_ = db_.Open(&clock_);
    ASSERT_TRUE(store_);
  }

  FakeClock clock_;
  DriverStore db_{GetParam()};
  std::unique_ptr<SqlStore> store_;  // declared last: closed before the clock goes
};

}  // namespace ccci::testing
