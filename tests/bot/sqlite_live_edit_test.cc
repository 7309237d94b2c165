// A live database edited by another process (an operator's sqlite3 shell) while the store
// has it open: the store must go on reading and writing it whole.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "base/subprocess.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/test_store.h"

namespace ccci {
namespace {

// Later than any message is due.
constexpr int64_t kFuture = int64_t{1} << 60;

// 1,000 due outbox messages, each the first of its PR's lane (PRs from `first_pr` on),
// inserted as the bench's load.sh did.
std::string InsertOutbox(int first_pr) {
  return "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999) "
         "INSERT INTO outbox (repo, pr, kind, coalesce_key, payload, next_attempt_at, "
         "created_at, updated_at) SELECT 'o/cli', " +
         std::to_string(first_pr) + " + i, 'status', 'status:o/cli@' || i, '{}', 0, 0, 0 FROM n;";
}

// Runs `argv` to its end; its wait status.
int RunToEnd(const std::vector<std::string>& argv) {
  SpawnOptions o;
  o.argv = argv;
  o.env = {"PATH=/usr/bin:/bin"};
  o.stderr_fd = STDERR_FILENO;
  auto child = Subprocess::Spawn(o);
  EXPECT_TRUE(child.ok()) << child.status().ToString();
  return child.ok() ? child->Wait() : -1;
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// The store writes, another process writes and closes, the store reads and writes again.
void EditWhileOpen(const std::vector<std::string>& writer) {
  testing::TempDir dir;
  std::string path = dir.File("cc-ci.db");
  auto store = testing::OpenTestStore(path);
  ASSERT_TRUE(store);
  OutboxMessage m;
  m.repo = "o/r";
  m.pr = 1;
  m.kind = "status";
  m.coalesce_key = "status:o/r@a";
  m.payload = "{}";
  ASSERT_TRUE(store->EnqueueMessage(m).ok());
  ASSERT_EQ(store->DueMessages(kFuture, 10).value().size(), 1u);

  // Twice, with the store's own writes and its checkpoints in between.
  size_t expected = 1;
  for (int round = 0; round < 2; ++round) {
    std::vector<std::string> argv = writer;
    argv.push_back(path);
    argv.push_back(InsertOutbox(1000 + round * 1000));
    int status = RunToEnd(argv);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    expected += 1000;

    // The writer was not the last connection: the store's WAL and shared memory are there.
    EXPECT_TRUE(Exists(path + "-wal"));
    EXPECT_TRUE(Exists(path + "-shm"));
    auto due = store->DueMessages(kFuture, 5000);
    ASSERT_TRUE(due.ok()) << due.status().ToString();
    EXPECT_EQ(due->size(), expected);
    for (int i = 0; i < 50; ++i) {
      m.pr = 10 + round * 100 + i;
      m.coalesce_key = "status:o/r@" + std::to_string(m.pr);
      ASSERT_TRUE(store->EnqueueMessage(m).ok());
    }
    expected += 50;
    due = store->DueMessages(kFuture, 5000);
    ASSERT_TRUE(due.ok()) << due.status().ToString();
    EXPECT_EQ(due->size(), expected);
  }
  store.reset();

  // And the file holds every row once the store has closed.
  store = testing::OpenTestStore(path);
  ASSERT_TRUE(store);
  auto due = store->DueMessages(kFuture, 5000);
  ASSERT_TRUE(due.ok()) << due.status().ToString();
  EXPECT_EQ(due->size(), expected);
}

TEST(SqliteLiveEditTest, AnotherProcessWritingAndClosingLeavesTheStoreWhole) {
  EditWhileOpen({CCCI_SQLITE_CLI_WRITER});
}

// The same with Debian's sqlite3 shell, where it is installed.
TEST(SqliteLiveEditTest, TheSqlite3ShellWritingLeavesTheStoreWhole) {
  if (access("/usr/bin/sqlite3", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/sqlite3";
  EditWhileOpen({"/usr/bin/sqlite3", "-bail"});
}

}  // namespace
}  // namespace ccci
