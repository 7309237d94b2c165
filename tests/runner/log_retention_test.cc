// Log retention on a real SQLite store and real directories, with a fake clock.
#include "bot/runner/log_retention.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "tests/fakes/fake_clock.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/test_store.h"

namespace ccci::runner {
namespace {

using std::chrono::hours;

class LogRetentionTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = testing::OpenTestStore(dir_.path() + "/cc-ci.db", &clock_); }
  int64_t Queue(int64_t pr) {
    return testing::QueueRun(store_.get(),
                             testing::PrRun("coop-cloud/bonfire", pr, "sha" + std::to_string(pr)));
  }
  void End(int64_t id, const char* state) {
    ASSERT_TRUE(store_->ClaimRun(id).value());
    ASSERT_TRUE(store_->FinishRun(id, state, std::nullopt, "").ok());
  }
  std::string RunDir(int64_t id) { return dir_.path() + "/runs/" + std::to_string(id); }
  void WriteLog(int64_t id) {
    std::filesystem::create_directories(RunDir(id));
    std::ofstream(RunDir(id) + "/install.log") << "$ abra app new bonfire\n";
  }
  bool Exists(int64_t id) { return std::filesystem::exists(RunDir(id)); }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<SqlStore> store_;
};

TEST_F(LogRetentionTest, RemovesTheFilesOfRunsThatEndedLongAgoAndKeepsTheRuns) {
  int64_t finished = Queue(1), error = Queue(2), queued = Queue(3), recent = Queue(4);
  End(finished, kRunFinished);
  End(error, kRunError);
  clock_.Advance(hours(24 * 91));
  End(recent, kRunFinished);
  for (int64_t id : {finished, error, queued, recent}) WriteLog(id);
  // Directories the store does not know: one old, one new; and a name that is no run id.
  WriteLog(999);
  WriteLog(1000);
  std::filesystem::create_directories(dir_.path() + "/runs/upload-tmp");
  int64_t old_s = clock_.NowUnixMillis() / 1000 - 91 * 86400;
  timespec times[2] = {{old_s, 0}, {old_s, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, RunDir(999).c_str(), times, 0), 0);
  int64_t now_s = clock_.NowUnixMillis() / 1000;
  timespec now_times[2] = {{now_s, 0}, {now_s, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, RunDir(1000).c_str(), now_times, 0), 0);

  LogRetention::Options o;
  o.data_dir = dir_.path();
  o.retention = hours(24 * 90);
  o.clock = &clock_;
  LogRetention retention(store_.get(), o);
  LogRetention::Pass pass = retention.PruneOnce();
  EXPECT_EQ(pass.removed, 3);
  EXPECT_EQ(pass.kept, 3);
  EXPECT_EQ(pass.errors, 0);
  EXPECT_FALSE(Exists(finished));
  EXPECT_FALSE(Exists(error));
  EXPECT_FALSE(Exists(999));
  EXPECT_TRUE(Exists(queued)) << "a run that has not ended keeps its files, however old";
  EXPECT_TRUE(Exists(recent));
  EXPECT_TRUE(Exists(1000));
  EXPECT_TRUE(std::filesystem::exists(dir_.path() + "/runs/upload-tmp"));
  EXPECT_EQ(store_->GetRun(finished).value().state, kRunFinished) << "the run itself stays";

  EXPECT_EQ(retention.PruneOnce().removed, 0) << "a second sweep finds nothing more";
}

TEST_F(LogRetentionTest, ADataDirWithoutRunsIsNoError) {
  LogRetention::Options o;
  o.data_dir = dir_.path();
  o.clock = &clock_;
  LogRetention retention(store_.get(), o);
  LogRetention::Pass pass = retention.PruneOnce();
  EXPECT_EQ(pass.removed + pass.kept + pass.errors, 0);
}

}  // namespace
}  // namespace ccci::runner
