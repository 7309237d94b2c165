#pragma once
// SQLite's allocations, served from free lists kept per thread (SQLITE_CONFIG_MALLOC).
//
// Debian builds SQLite with SQLITE_OMIT_LOOKASIDE (`PRAGMA compile_options`), so every
// allocation SQLite makes goes to malloc: recording one delivery made 168 of them
// (callgrind, tests/bench/bot/handle_ir.sh), among them the 1 KB chunks of the memory driver's
// rollback journal, more than glibc's per-thread cache holds (seven of a size), so most went
// through its bins and were merged and split again. Here a freed block goes on its thread's
// list for its size class and the next allocation of that class takes it: a few instructions
// instead of malloc's and free's few hundred.
//
// Blocks up to kMaxCachedBytes fall in size classes (32-byte steps up to 1 KB, 256-byte steps
// up to 8 KB); larger ones go to malloc and free as before. A thread keeps at most
// kMaxCachedBytesPerThread in its lists; past that a freed block goes back to free. A block
// may be freed by another thread than the one that took it (it joins the freeing thread's
// list). A thread's lists are freed when it ends.

#include <sqlite3.h>

#include <cstddef>

namespace ccci {

inline constexpr size_t kMaxCachedBytes = 8192;
inline constexpr size_t kMaxCachedBytesPerThread = 2 << 20;

// The methods (for tests: they may be called directly, with or without SQLite using them).
const sqlite3_mem_methods& SqliteAllocator();

// What the calling thread's lists hold, in bytes (for tests).
size_t SqliteAllocatorCachedBytes();

// Makes SQLite use SqliteAllocator(). Must come before SQLite initializes (sqlite3_config
// refuses it after); returns false then, and SQLite keeps its own. Under AddressSanitizer it
// does nothing and returns false, so ASan still sees each of SQLite's blocks.
bool InstallSqliteAllocator();

}  // namespace ccci
