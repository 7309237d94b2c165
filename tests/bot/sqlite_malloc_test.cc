// SQLite's allocator (bot/store/sqlite_malloc.h): sizes, reuse, reallocation, the per-thread
// bound, blocks freed on another thread, and that the store's SQLite runs on it.
#include "bot/store/sqlite_malloc.h"

#include <gtest/gtest.h>

#include <cstring>
#include <thread>
#include <vector>

#include "bot/store/sqlite_db.h"

namespace ccci {
namespace {

const sqlite3_mem_methods& M() { return SqliteAllocator(); }

TEST(SqliteMallocTest, EveryBlockHoldsWhatWasAskedAndReportsItsRoundedSize) {
  for (int n : {1, 7, 8, 31, 32, 33, 100, 1000, 1024, 1025, 1032, 4096, 4104, 8191, 8192, 8193,
                20000, 1 << 20}) {
    void* p = M().xMalloc(n);
    ASSERT_NE(p, nullptr) << n;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 0u) << n;
    EXPECT_GE(M().xRoundup(n), n);
    EXPECT_EQ(M().xSize(p), M().xRoundup(n)) << n;
    std::memset(p, 0xab, static_cast<size_t>(M().xSize(p)));  // the whole reported size is ours
    M().xFree(p);
  }
  EXPECT_EQ(M().xSize(nullptr), 0);
  M().xFree(nullptr);
}

TEST(SqliteMallocTest, AFreedBlockIsTakenAgainByTheNextOfItsSize) {
  void* p = M().xMalloc(1000);
  size_t before = SqliteAllocatorCachedBytes();
  M().xFree(p);
  EXPECT_EQ(SqliteAllocatorCachedBytes(), before + static_cast<size_t>(M().xRoundup(1000)));
  EXPECT_EQ(M().xMalloc(1010), p);  // the same 1,024-byte class
  EXPECT_EQ(SqliteAllocatorCachedBytes(), before);
  M().xFree(p);
  void* big = M().xMalloc(100000);  // past the classes: not kept
  size_t kept = SqliteAllocatorCachedBytes();
  M().xFree(big);
  EXPECT_EQ(SqliteAllocatorCachedBytes(), kept);
}

TEST(SqliteMallocTest, ReallocKeepsTheContentsAcrossClassesAndPastThem) {
  auto* p = static_cast<unsigned char*>(M().xMalloc(20));
  for (int i = 0; i < 20; ++i) p[i] = static_cast<unsigned char>(i);
  for (int n : {24, 600, 5000, 50000, 200000, 40, 20}) {
    p = static_cast<unsigned char*>(M().xRealloc(p, n));
    ASSERT_NE(p, nullptr) << n;
    EXPECT_EQ(M().xSize(p), M().xRoundup(n)) << n;
    for (int i = 0; i < 20; ++i) ASSERT_EQ(p[i], i) << "after realloc to " << n;
  }
  M().xFree(p);
}

TEST(SqliteMallocTest, AThreadKeepsNoMoreThanItsBound) {
  std::vector<void*> blocks;
  for (size_t i = 0; i < 2 * kMaxCachedBytesPerThread / 1024; ++i)
    blocks.push_back(M().xMalloc(1024));
  for (void* p : blocks) M().xFree(p);
  EXPECT_LE(SqliteAllocatorCachedBytes(), kMaxCachedBytesPerThread);
  EXPECT_GT(SqliteAllocatorCachedBytes(), kMaxCachedBytesPerThread / 2);
}

TEST(SqliteMallocTest, ABlockFreedOnAnotherThreadJoinsThatThreadsLists) {
  std::vector<void*> blocks;
  for (int i = 0; i < 100; ++i) blocks.push_back(M().xMalloc(300));
  size_t here = SqliteAllocatorCachedBytes();
  size_t there = 0;
  std::thread([&] {
    for (void* p : blocks) M().xFree(p);
    there = SqliteAllocatorCachedBytes();
  }).join();  // the thread's lists are freed as it ends
  EXPECT_EQ(there, 100u * static_cast<size_t>(M().xRoundup(300)));
  EXPECT_EQ(SqliteAllocatorCachedBytes(), here);
}

TEST(SqliteMallocTest, TheStoresSqliteRunsOnIt) {
  SqliteDb::Options o;
  o.path = ":memory:";
  auto db = SqliteDb::Open(o);
  ASSERT_TRUE(db.ok()) << db.status().message();
  ASSERT_TRUE(
      (*db)->Exec("CREATE TABLE t (x TEXT); INSERT INTO t VALUES (hex(randomblob(5000)))").ok());
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "under AddressSanitizer SQLite keeps its own allocator";
#endif
  // SQLite's own would report 3,000 (or malloc's usable size); the classes make it 3,072.
  void* p = sqlite3_malloc(3000);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(sqlite3_msize(p), static_cast<sqlite3_uint64>(M().xRoundup(3000)));
  sqlite3_free(p);
}

}  // namespace
}  // namespace ccci
