#pragma once
// cc-ci on several hosts, on one machine: the PostgreSQL store of the ctest fixture `postgres`
// (tests/fakes/store_drivers.h) shared by a front node (`cc-ci serve`) and `cc-ci worker`s,
// each a real process with a config file of its own, as docs/operating.md sets them up. The
// workers run the suite through the fake abra and swarm (tests/fakes/bin) in swarm_.

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "tests/fakes/server_process.h"
#include "tests/fakes/store_drivers.h"
#include "tests/fakes/test_files.h"

namespace ccci::testing {

class MultiHostTest : public ::testing::Test {
 protected:
  // Tests start with ASSERT_TRUE(db_.available()).
  void SetUp() override {
    db_.Prepare();
    if (!db_.available()) return;
    std::ofstream(dir_.File("db-url")) << db_.Options().url << "\n";
    store_ = db_.Open();
    ASSERT_TRUE(store_);
    swarm_ = dir_.File("swarm");
    Sh("mkdir -p '" + swarm_ + "'");
  }

  // Writes <name>.ini: the shared [storage] (the url in a file, as a host keeps it), then
  // `sections` (e.g. "[gitea]\n...[runner]\n..."). Returns its path.
  std::string Ini(const std::string& name, const std::string& sections) {
    std::string path = dir_.File(name + ".ini");
    std::ofstream(path) << "[storage]\ndriver = postgres\nurl_file = " << dir_.File("db-url")
                        << "\n"
                        << sections;
    return path;
  }

  // `cc-ci serve --config <ini>` on the data dir "front"; `env` as ServerProcess takes it.
  std::unique_ptr<ServerProcess> StartFront(const std::string& ini, std::vector<std::string> env) {
    env.push_back("CC_CI_DATABASE_URL=");  // the url_file, not the test's environment
    return std::make_unique<ServerProcess>(CCCI_BIN_DIR "/cc-ci", dir_.File("front"), env,
                                           std::vector<std::string>{"--config", ini});
  }

  // `cc-ci worker --config <ini>` on the data dir `name`, with the fake abra and docker first on
  // PATH and the fake app they deploy; `env` adds to that (the fakes' FAKE_* knobs, HOME).
  std::unique_ptr<WorkerProcess> StartWorkerProcess(const std::string& name, const std::string& ini,
                                                    std::vector<std::string> env) {
    std::string path = std::string(CCCI_SOURCE_DIR "/tests/fakes/bin:") + getenv("PATH");
    env.insert(env.end(), {"PATH=" + path, "FAKE_SWARM_DIR=" + swarm_,
                           "FAKE_APP_BIN=" CCCI_BIN_DIR "/fake_app", "CC_CI_DATABASE_URL="});
    return std::make_unique<WorkerProcess>(CCCI_BIN_DIR "/cc-ci", ini, dir_.File(name), env);
  }

  DriverStore db_{"postgres"};
  TempDir dir_;
  std::unique_ptr<SqlStore> store_;  // the shared store, as the test reads it
  std::string swarm_;                // the fake swarm's state dir
};

}  // namespace ccci::testing
