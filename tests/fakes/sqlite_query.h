#pragma once
// Reading one value back out of a SQLite database in a test.

#include <gtest/gtest.h>

#include <string>

#include "bot/store/sqlite_db.h"

namespace ccci::testing {

// The first column of `sql`'s first row, as text ("" if it has none).
inline std::string First(SqliteDb& db, const std::string& sql) {
  auto s = db.Prepare(sql);
  EXPECT_TRUE(s.ok());
  if (!s.ok()) return "";
  auto row = (*s)->Step();
  if (!row.ok() || !*row) return "";
  std::string out = (*s)->Text(0);
  (*s)->Reset();
  return out;
}

}  // namespace ccci::testing
