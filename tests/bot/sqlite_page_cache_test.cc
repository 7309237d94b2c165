// SQLite's page cache without the walk after a split (bot/store/sqlite_page_cache.h): a swap as
// balance_nonroot makes it, over a cache that keeps its largest key as pcache1 does, and the
// store's SQLite running on it through splits, rollbacks and a cache too small for its pages.
#include "bot/store/sqlite_page_cache.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "bot/store/sqlite_db.h"
#include "tests/fakes/sqlite_query.h"
#include "tests/fakes/test_files.h"

namespace ccci {
namespace {

constexpr unsigned kPending = 0x40000000 / 4096 + 1;  // the pending-byte page, 4 KB pages

// A page cache that, like pcache1, remembers the largest key it held and, when truncated below
// it, walks from the limit up to it: `walks` has each walk's length.
struct FakePage {
  sqlite3_pcache_page base;
  std::vector<char> buf, extra;
};
struct FakeCache {
  int page_size, extra;
  std::map<unsigned, FakePage*> pages;
  unsigned max_key = 0;
  std::set<unsigned> keys_held;
  std::vector<unsigned> walks;
};
FakeCache* F(sqlite3_pcache* p) { return reinterpret_cast<FakeCache*>(p); }
FakeCache* g_last_fake = nullptr;  // the fake cache made last

sqlite3_pcache* FakeCreate(int page_size, int extra, int) {
  g_last_fake = new FakeCache;
  g_last_fake->page_size = page_size;
  g_last_fake->extra = extra;
  return reinterpret_cast<sqlite3_pcache*>(g_last_fake);
}
sqlite3_pcache_page* FakeFetch(sqlite3_pcache* p, unsigned key, int create) {
  FakeCache* c = F(p);
  if (auto it = c->pages.find(key); it != c->pages.end()) return &it->second->base;
  if (!create) return nullptr;
  auto* page = new FakePage;
  page->buf.resize(static_cast<size_t>(c->page_size));
  page->extra.resize(static_cast<size_t>(c->extra));
  page->base.pBuf = page->buf.data();
  page->base.pExtra = page->extra.data();
  c->pages[key] = page;
  c->keys_held.insert(key);
  if (key > c->max_key) c->max_key = key;
  return &page->base;
}
void FakeRekey(sqlite3_pcache* p, sqlite3_pcache_page* page, unsigned from, unsigned to) {
  FakeCache* c = F(p);
  auto it = c->pages.find(from);
  ASSERT_TRUE(it != c->pages.end() && &it->second->base == page) << "no such page at " << from;
  FakePage* moved = it->second;
  c->pages.erase(it);
  c->pages[to] = moved;
  c->keys_held.insert(to);
  if (to > c->max_key) c->max_key = to;
}
void FakeTruncate(sqlite3_pcache* p, unsigned limit) {
  FakeCache* c = F(p);
  if (limit > c->max_key) return;
  c->walks.push_back(c->max_key - limit + 1);
  for (auto it = c->pages.lower_bound(limit); it != c->pages.end();) {
    delete it->second;
    it = c->pages.erase(it);
  }
  c->max_key = limit - 1;
}
void FakeDestroy(sqlite3_pcache* p) {
  for (auto& [key, page] : F(p)->pages) delete page;
  delete F(p);
}
const sqlite3_pcache_methods2 kFake = {
    1,       nullptr,        nullptr,      nullptr,      FakeCreate,
    [](sqlite3_pcache*, int) {}, [](sqlite3_pcache* p) { return static_cast<int>(F(p)->pages.size()); },
    FakeFetch, [](sqlite3_pcache*, sqlite3_pcache_page*, int) {}, FakeRekey,
    FakeTruncate, FakeDestroy, [](sqlite3_pcache*) {}};

// The swap of balance_nonroot (btree.c): page 40 (A) and page 30 (B) trade numbers by way of
// the pending-byte page, each move as sqlite3PcacheMove makes it (a look for a page at the
// number it moves to, then the move), and the commit's truncate to the database's 100 pages.
void SwapThenCommit(const sqlite3_pcache_methods2& m, sqlite3_pcache* cache,
                    sqlite3_pcache_page** a, sqlite3_pcache_page** b) {
  for (unsigned key = 1; key <= 100; ++key) ASSERT_NE(m.xFetch(cache, key, 2), nullptr);
  *a = m.xFetch(cache, 40, 0);
  *b = m.xFetch(cache, 30, 0);
  EXPECT_EQ(m.xFetch(cache, kPending, 0), nullptr);
  m.xRekey(cache, *a, 40, kPending);
  EXPECT_EQ(m.xFetch(cache, 40, 0), nullptr);
  m.xRekey(cache, *b, 30, 40);
  EXPECT_EQ(m.xFetch(cache, 30, 0), nullptr);
  EXPECT_EQ(m.xFetch(cache, kPending, 0), *a);  // where A is, while it is parked
  m.xRekey(cache, *a, kPending, 30);
  m.xTruncate(cache, 101);
}

TEST(SqlitePageCacheTest, ASwapThroughThePendingPageLeavesNoWalkAtTheCommit) {
  const sqlite3_pcache_methods2& ours = SqlitePageCache();
  sqlite3_pcache* cache = CreatePageCacheOver(kFake, 4096, 64, 1);
  ASSERT_NE(cache, nullptr);
  FakeCache* under = g_last_fake;
  sqlite3_pcache_page *a = nullptr, *b = nullptr;
  SwapThenCommit(ours, cache, &a, &b);
  EXPECT_EQ(under->keys_held.count(kPending), 0u);  // parked elsewhere
  for (unsigned walk : under->walks) EXPECT_LE(walk, 1u);
  EXPECT_EQ(ours.xFetch(cache, 30, 0), a);
  EXPECT_EQ(ours.xFetch(cache, 40, 0), b);
  EXPECT_EQ(ours.xPagecount(cache), 100);
  ours.xDestroy(cache);

  // The same over the fake alone (what SQLite does with pcache1): the commit walks from the
  // database's end to the pending-byte page.
  sqlite3_pcache* bare = kFake.xCreate(4096, 64, 1);
  SwapThenCommit(kFake, bare, &a, &b);
  ASSERT_EQ(F(bare)->walks.size(), 1u);
  EXPECT_EQ(F(bare)->walks[0], kPending - 101 + 1);
  kFake.xDestroy(bare);
}

// Random keys (pages split anywhere) in many small transactions, every fifth rolled back, and
// a cache of 64 pages: whole afterwards, to SQLite's integrity check and by count. With the
// memory driver's database and with a file in WAL mode, reopened.
void SplitsRollbacksAndRecycling(const std::string& path) {
  {
    auto db = SqliteDb::Open({.path = path});
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    SqliteDb& d = **db;
    ASSERT_TRUE(d.Exec("PRAGMA cache_size=64").ok());
    ASSERT_TRUE(d.Exec("CREATE TABLE t (k TEXT PRIMARY KEY, b TEXT, v BLOB)").ok());
    ASSERT_TRUE(d.Exec("CREATE INDEX t_b ON t (b)").ok());
    for (int txn = 0; txn < 500; ++txn) {
      ASSERT_TRUE(d.Exec("BEGIN IMMEDIATE").ok());
      for (int i = 0; i < 10; ++i) {
        ASSERT_TRUE(d.Exec("INSERT INTO t VALUES (hex(randomblob(16)), hex(randomblob(32)), "
                           "randomblob(200))")
                        .ok());
      }
      ASSERT_TRUE(d.Exec(txn % 5 == 4 ? "ROLLBACK" : "COMMIT").ok());
    }
    EXPECT_EQ(testing::First(d, "SELECT count(*) FROM t"), "4000");  // 400 committed of 10 rows
    EXPECT_EQ(testing::First(d, "PRAGMA integrity_check"), "ok");
  }
  EXPECT_TRUE(InstallSqlitePageCache());  // the store's SQLite ran on it (installed at open)
  if (path == ":memory:") return;
  auto again = SqliteDb::Open({.path = path});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(testing::First(**again, "SELECT count(*) FROM t"), "4000");
}

TEST(SqlitePageCacheTest, TheMemoryDriversDatabaseStaysWhole) {
  SplitsRollbacksAndRecycling(":memory:");
}

TEST(SqlitePageCacheTest, AWalDatabaseStaysWholeAndReopens) {
  testing::TempDir dir;
  SplitsRollbacksAndRecycling(dir.File("a.db"));
}

}  // namespace
}  // namespace ccci
