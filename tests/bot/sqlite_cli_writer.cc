// A second process writing to a live cc-ci database the way an operator's `sqlite3` shell
// does: open the file, run the SQL given, close. Used by sqlite_live_edit_test.cc; a
// separate program because SQLite's POSIX locks are per process, so a connection in the
// test's own process would not show what another process sees.
//   sqlite_cli_writer DB SQL

#include <sqlite3.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DB SQL\n", argv[0]);
    return 2;
  }
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    std::fprintf(stderr, "open: %s\n", sqlite3_errmsg(db));
    return 1;
  }
  sqlite3_busy_timeout(db, 5000);
  char* err = nullptr;
  int rc = sqlite3_exec(db, argv[2], nullptr, nullptr, &err);
  if (rc != SQLITE_OK) std::fprintf(stderr, "exec: %s\n", err ? err : sqlite3_errstr(rc));
  sqlite3_free(err);
  // Closing the last connection checkpoints and deletes the -wal and -shm files, so this
  // must see the server's connections as open.
  return sqlite3_close(db) == SQLITE_OK && rc == SQLITE_OK ? 0 : 1;
}
