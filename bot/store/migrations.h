#pragma once
// Numbered schema migrations (bot/store/migrations/NNN_name.sql), embedded at build time.
// A database records the last one applied in PRAGMA user_version; each migration runs in
// its own transaction, so a crash mid-upgrade leaves the previous version intact.

#include <string>
#include <vector>

namespace ccci {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// All migrations, in ascending version order (generated).
const std::vector<Migration>& Migrations();

}  // namespace ccci
