#pragma once
// SQLite's page cache with one detour taken out (SQLITE_CONFIG_PCACHE2 over the default,
// pcache1).
//
// When SQLite splits a b-tree page it puts the new pages in ascending order by swapping their
// numbers, and it parks one of them under the number of the pending-byte page (262,145 with 4
// KB pages; btree.c, balance_nonroot) for the moment of the swap. pcache1 remembers that
// number as the largest key it ever held (iMaxKey), so at the transaction's end, where the
// pager truncates its cache to the database's size, it finds a key above the size and walks
// its whole hash table to drop it (pcache1TruncateUnsafe): on every commit after a split, a
// walk over every page the cache holds. Under the intake's load that walk was 5.7-6.5% of the
// committer's CPU with the memory driver (whose cache is its whole database) and 2.3% with
// SQLite (perf, call graphs through sqlite3PagerCommitPhaseTwo; the parked key seen with a gdb
// watchpoint on iMaxKey).
//
// Here a page SQLite parks there is parked instead just above the largest page number the
// cache has held: the swap is the same three moves, and the walk at the commit covers a
// bucket or two. Everything else is pcache1's, called as SQLite would.

#include <sqlite3.h>

namespace ccci {

// The methods installed (for tests: they may be called directly).
const sqlite3_pcache_methods2& SqlitePageCache();

// Makes SQLite use SqlitePageCache() over the page cache it has. Must come before SQLite
// initializes (sqlite3_config refuses it after); returns false then, and SQLite keeps its
// own. Idempotent.
bool InstallSqlitePageCache();

// A cache of SqlitePageCache()'s over a cache of `under`'s (SqlitePageCache().xCreate makes
// them over SQLite's own); the other methods of SqlitePageCache() take it. For tests.
sqlite3_pcache* CreatePageCacheOver(const sqlite3_pcache_methods2& under, int page_size, int extra,
                                    int purgeable);

}  // namespace ccci
