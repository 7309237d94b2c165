#pragma once
// The fake abra and docker (tests/fakes/bin) for this test process and the commands it
// starts: their swarm in `swarm` (created), the app they deploy, first on PATH, and none of
// their failure knobs (FAKE_ABRA_*) left set by an earlier test.

#include <cstdlib>
#include <filesystem>
#include <string>

namespace ccci::testing {

inline void UseFakeSwarm(const std::string& swarm) {
  std::filesystem::create_directories(swarm);
  setenv("FAKE_SWARM_DIR", swarm.c_str(), 1);
  setenv("FAKE_APP_BIN", CCCI_BIN_DIR "/fake_app", 1);
  std::string path = std::string(CCCI_SOURCE_DIR "/tests/fakes/bin:") + getenv("PATH");
  setenv("PATH", path.c_str(), 1);
  for (const char* k :
       {"FAKE_ABRA_FAIL", "FAKE_ABRA_FAIL_ONCE", "FAKE_ABRA_HANG", "FAKE_ABRA_SECRET",
        "FAKE_ABRA_NEED_TTY", "FAKE_ABRA_LINT", "FAKE_ABRA_ROLLBACK", "FAKE_ABRA_UNREACHABLE",
        "FAKE_ABRA_RESTORE_NOOP", "FAKE_ABRA_CRASH", "FAKE_ABRA_OOM"}) {
    unsetenv(k);
  }
}

}  // namespace ccci::testing
