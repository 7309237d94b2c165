#pragma once
// `cc-ci serve`: loads the config, opens the store, starts the HTTP server and waits for
// SIGINT or SIGTERM, then shuts down gracefully (in-flight requests finish, pending writes
// commit).

namespace ccci {

// argv[0] is "serve". Returns the process exit code.
int RunServeCommand(int argc, char** argv);

}  // namespace ccci
