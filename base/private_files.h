#pragma once
// What cc-ci writes (the database, stage logs, work dirs) is for its own user and group: modes
// are set explicitly, so a permissive umask (000) cannot make them world-readable or writable.

#include <sys/types.h>

#include <string>

#include "base/status.h"

namespace ccci {

inline constexpr mode_t kPrivateDirMode = 0750;
inline constexpr mode_t kPrivateFileMode = 0640;

// Creates `path` and its missing parents, each with kPrivateDirMode (or stricter, as the umask
// says). Existing directories are left as they are.
Status MakePrivateDirs(const std::string& path);

// Creates `path` if it does not exist with kPrivateFileMode, and takes group write and every
// permission of others away from it if it does (a file an older cc-ci made under umask 000).
// Never opens an existing file, so it is safe on a database SQLite has open: closing any
// descriptor of a file drops all of the process's POSIX locks on it, and a live database
// whose locks are gone looks unused to other processes (an operator's sqlite3 shell would
// then checkpoint and delete its -wal and -shm on exit, from under cc-ci's connections).
Status MakePrivateFile(const std::string& path);

// Adds 027 to the process's umask: everything cc-ci and its children create (git checkouts,
// screenshots) is then private to its user and group too.
void RestrictUmask();

}  // namespace ccci
