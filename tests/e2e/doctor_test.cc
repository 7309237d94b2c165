// `cc-ci doctor` on the test setup: the fake abra and docker on PATH (tests/fakes/bin), the
// swagger-checked fake Gitea, real Chromium, and a real cc-ci serve answering at
// server.public_url on the data dir. Every check passes; then one piece at a time is taken
// away and doctor must name it, with its fix, and exit non-zero.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/fakes/child_process.h"
#include "tests/fakes/fake_gitea.h"
#include "tests/fakes/server_process.h"
#include "tests/fakes/test_files.h"

namespace ccci {
namespace {

const std::string kBinary = CCCI_BIN_DIR "/cc-ci";
const std::string kFakes = CCCI_SOURCE_DIR "/tests/fakes/bin";

class DoctorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bin_ = dir_.File("bin");
    data_ = dir_.File("data");
    mkdir(bin_.c_str(), 0755);
    mkdir(dir_.File("swarm").c_str(), 0755);
    Link("abra", kFakes + "/abra");
    Link("docker", kFakes + "/docker");
    testing::WriteFile(dir_.File("token"), "tok\n");
    server_ = std::make_unique<testing::ServerProcess>(
        kBinary, data_, std::vector<std::string>{"PATH=" + Path()});
    config_ = "[server]\npublic_url = http://127.0.0.1:" + std::to_string(server_->port()) +
              "\n[storage]\ndata_dir = " + data_ + "\n[runner]\npass_env = FAKE_*\n[gitea]\nurl = " + gitea_.base_url() +
              "\ntoken_file = " + dir_.File("token") + "\nrepos = coop-cloud/nextcloud\n";
  }
  void TearDown() override {
    auto v = gitea_.violations();
    EXPECT_TRUE(v.empty()) << v[0];
  }
  void Link(const std::string& name, const std::string& target) {
    unlink((bin_ + "/" + name).c_str());
    ASSERT_EQ(symlink(target.c_str(), (bin_ + "/" + name).c_str()), 0);
  }
  std::string Path() const { return bin_ + ":/usr/local/bin:/usr/bin:/bin"; }
  testing::ChildResult Doctor(std::vector<std::string> env = {}, const std::string& extra = "") {
    testing::WriteFile(dir_.File("cc-ci.ini"), config_ + extra);
    env.push_back("PATH=" + Path());
    env.push_back("FAKE_SWARM_DIR=" + dir_.File("swarm"));
    std::vector<std::string> argv = {kBinary, "doctor", "--config", dir_.File("cc-ci.ini")};
    argv.insert(argv.end(), flags_.begin(), flags_.end());
    return testing::RunChild(argv, env);
  }
  // The output's failed lines.
  static std::vector<std::string> Failed(const std::string& out) {
    std::vector<std::string> lines;
    size_t at = 0;
    for (size_t nl; (nl = out.find('\n', at)) != std::string::npos; at = nl + 1) {
      std::string line = out.substr(at, nl - at);
      if (line.rfind("\u2717 ", 0) == 0) lines.push_back(line);
    }
    return lines;
  }

  // A store on PostgreSQL that is not there (its socket dir does not exist): what the nodes
  // of a multi-host install share. Tests on a real one are in tests/pg/workers_test.cc.
  std::string NoStore() {
    testing::WriteFile(dir_.File("db-url"), "host=" + dir_.File("no-such-dir") + " dbname=x\n");
    return "[storage]\ndriver = postgres\nurl_file = " + dir_.File("db-url") + "\n";
  }

  testing::TempDir dir_;
  std::vector<std::string> flags_;  // after --config FILE
  std::string bin_, data_, config_;
  testing::FakeGitea gitea_{"tok"};
  std::unique_ptr<testing::ServerProcess> server_;
};

TEST_F(DoctorTest, EveryCheckPassesOnTheTestSetup) {
  testing::ChildResult r = Doctor();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Failed(r.out).empty()) << r.out;
  for (const std::string& line : {
           "\u2713 abra found: " + bin_ + "/abra\n",
           std::string("\u2713 abra version 0.13.0-beta (cc-ci test fake)\n"),
           std::string("\u2713 abra knows every command and flag the runner uses (10 commands)\n"),
           std::string("\u2713 abra reaches server default\n"),
           std::string("\u2713 docker 20.10.24+dfsg1 reachable (context default)\n"),
           std::string("\u2713 swarm active\n"),
           "\u2713 data dir " + data_ + " writable, served by the running cc-ci (pid " +
               std::to_string(server_->pid()) + ")\n",
           "\u2713 Gitea " + gitea_.base_url() + ": the token is cc-ci's (gitea.bot_login)\n",
           std::string("\u2713 coop-cloud/nextcloud: may post commit statuses (write)\n"),
           std::string("\u2713 coop-cloud/nextcloud: may read PR authors' permissions (admin)\n"),
           std::string("\u2713 coop-cloud/nextcloud: the token may write comments (write:issue)\n"),
           "\u2713 webhook secret in " + data_ + "/webhook-secret\n",
           "\u2713 http://127.0.0.1:" + std::to_string(server_->port()) + " answers (/healthz)\n",
       }) {
    EXPECT_NE(r.out.find(line), std::string::npos) << "missing: " << line << "in:\n" << r.out;
  }
  EXPECT_NE(r.out.find("\nall "), std::string::npos) << r.out;
}

TEST_F(DoctorTest, NamesAMissingAbra) {
  unlink((bin_ + "/abra").c_str());
  testing::ChildResult r = Doctor();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Failed(r.out), std::vector<std::string>{
                               "\u2717 abra not found on PATH \u2014 install abra or set runner.abra"})
      << r.out;
}

TEST_F(DoctorTest, NamesWhatAnOlderAbraLacks) {
  std::string old_abra = dir_.File("old-abra");
  testing::WriteFile(old_abra,
                     "#!/bin/sh\n[ \"$1\" = --version ] && { echo 'abra version 0.8.0'; exit 0; }\n"
                     "echo 'Flags:'; echo '  -n, --no-input   no prompts'; echo '  -s, --server string'\n"
                     "echo '  -D, --domain string'; echo '  -a, --all'; echo '  -f, --force'\n");
  chmod(old_abra.c_str(), 0755);
  Link("abra", old_abra);
  testing::ChildResult r = Doctor();
  EXPECT_EQ(r.exit_code, 1);
  ASSERT_EQ(Failed(r.out).size(), 1u) << r.out;
  EXPECT_EQ(Failed(r.out)[0],
            "\u2717 abra lacks what the runner uses: app deploy --chaos, app deploy "
            "--no-domain-checks, recipe lint --chaos \u2014 install the abra release "
            "docs/operating.md names");
}

TEST_F(DoctorTest, NamesADockerWithoutASwarmAndAnUnreachableServer) {
  testing::ChildResult r = Doctor({"FAKE_DOCKER_SWARM=inactive", "FAKE_ABRA_UNREACHABLE=1"});
  EXPECT_EQ(r.exit_code, 1);
  std::vector<std::string> failed = Failed(r.out);
  ASSERT_EQ(failed.size(), 2u) << r.out;
  EXPECT_EQ(failed[0].rfind("\u2717 abra cannot reach server default: exited 1: FATA unable to "
                            "connect to default",
                            0),
            0u)
      << failed[0];
  EXPECT_NE(failed[0].find("\u2014 `abra server add default` as the cc-ci user, or set runner.server"),
            std::string::npos);
  EXPECT_EQ(failed[1], "\u2717 swarm is inactive \u2014 run `docker swarm init` on the server");

  r = Doctor({"FAKE_DOCKER_DOWN=1"});
  ASSERT_EQ(Failed(r.out).size(), 1u) << r.out;
  EXPECT_NE(Failed(r.out)[0].find("docker cannot reach the daemon of context default"),
            std::string::npos);
}

TEST_F(DoctorTest, NamesWhatTheTokenCannotDo) {
  gitea_.SetTokenUser("someone");
  gitea_.SetRepoAccess(/*admin=*/false, /*push=*/false);
  gitea_.SetTokenScopes({"read:user", "write:repository"});
  testing::ChildResult r = Doctor();
  EXPECT_EQ(r.exit_code, 1);
  std::vector<std::string> failed = Failed(r.out);
  ASSERT_EQ(failed.size(), 4u) << r.out;
  EXPECT_EQ(failed[0], "\u2717 the token is someone's, but gitea.bot_login is cc-ci \u2014 set "
                       "gitea.bot_login = someone, else cc-ci takes the bot's own comments for users'");
  EXPECT_EQ(failed[1], "\u2717 coop-cloud/nextcloud: no write access, so commit statuses are "
                       "refused \u2014 add cc-ci to the repo as a collaborator with write");
  EXPECT_NE(failed[2].find("cannot read other users' permissions (needs admin)"), std::string::npos);
  EXPECT_NE(failed[2].find("or list the maintainers in gitea.trusted_users"), std::string::npos);
  EXPECT_EQ(failed[3].rfind("\u2717 coop-cloud/nextcloud: the token lacks write:issue", 0), 0u);

  // Trusted users stand in for admin.
  r = Doctor({}, "trusted_users = dana\n");
  EXPECT_NE(r.out.find("\u2713 coop-cloud/nextcloud: not admin, so trust comes from "
                       "gitea.trusted_users (1) and ok-to-test"),
            std::string::npos)
      << r.out;
}

TEST_F(DoctorTest, NamesAWrongTokenAndAStoppedServer) {
  testing::WriteFile(dir_.File("token"), "wrong\n");
  server_.reset();
  testing::ChildResult r = Doctor();
  EXPECT_EQ(r.exit_code, 1);
  std::vector<std::string> failed = Failed(r.out);
  ASSERT_EQ(failed.size(), 2u) << r.out;  // the token (nothing more is asked), public_url
  EXPECT_NE(failed[0].find("HTTP 401"), std::string::npos) << failed[0];
  EXPECT_NE(failed[0].find("make a new token for cc-ci with write:issue, write:repository and "
                           "read:user"),
            std::string::npos);
  EXPECT_NE(failed.back().find("/healthz does not answer"), std::string::npos) << failed.back();
  EXPECT_NE(r.out.find("\u2713 data dir " + data_ + " writable, no cc-ci running on it"),
            std::string::npos)
      << r.out;
}

TEST_F(DoctorTest, WithoutGiteaItSaysReportingIsDryRun) {
  config_ = "[storage]\ndata_dir = " + data_ + "\n[runner]\npass_env = FAKE_*\n";
  testing::ChildResult r = Doctor();
  EXPECT_EQ(r.exit_code, 1);
  std::vector<std::string> failed = Failed(r.out);
  ASSERT_EQ(failed.size(), 3u) << r.out;
  EXPECT_EQ(failed[0].rfind("\u2717 data dir " + data_ + " is in use by another cc-ci (pid " +
                                std::to_string(server_->pid()) + ")",
                            0),
            0u)
      << "public_url does not lead to the server holding the data dir";
  EXPECT_EQ(failed[1].rfind("\u2717 gitea.url is not set: reporting is dry-run", 0), 0u);
  EXPECT_EQ(failed[2].rfind("\u2717 server.public_url is not set", 0), 0u);
}

// A front node runs no suites: no abra, docker or Chromium is asked of it (none is on this
// PATH), but the store is.
TEST_F(DoctorTest, AFrontNodeIsAskedForTheStoreNotForAbraOrDocker) {
  unlink((bin_ + "/abra").c_str());
  unlink((bin_ + "/docker").c_str());
  config_ = NoStore() + "data_dir = " + data_ + "\n[runner]\nconcurrency = 0\n[server]\n" +
            "public_url = http://127.0.0.1:" + std::to_string(server_->port()) + "\n[gitea]\n" +
            "url = " + gitea_.base_url() + "\ntoken_file = " + dir_.File("token") +
            "\nrepos = coop-cloud/nextcloud\n";
  testing::ChildResult r = Doctor({"CC_CI_DATABASE_URL="});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out.rfind("checking this host as a front node\n", 0), 0u) << r.out;
  std::vector<std::string> failed = Failed(r.out);
  ASSERT_EQ(failed.size(), 1u) << r.out;
  EXPECT_EQ(failed[0].rfind("\u2717 the store does not answer: postgres: cannot connect", 0), 0u)
      << failed[0];
  EXPECT_NE(failed[0].find("\u2014 check the connection string, and that the database server "
                           "lets this host in (listen_addresses, pg_hba.conf)"),
            std::string::npos)
      << failed[0];
  for (const char* gone : {"abra", "docker", "swarm", "chromium"}) {
    EXPECT_EQ(r.out.find(gone), std::string::npos) << gone << " asked of a front node:\n" << r.out;
  }
  for (const std::string& line : {
           std::string("\u2713 coop-cloud/nextcloud: may post commit statuses (write)\n"),
           "\u2713 webhook secret in " + data_ + "/webhook-secret\n",
           "\u2713 http://127.0.0.1:" + std::to_string(server_->port()) + " answers (/healthz)\n",
       }) {
    EXPECT_NE(r.out.find(line), std::string::npos) << "missing: " << line << "in:\n" << r.out;
  }
}

// A worker: the store, abra, docker and the swarm, and of [gitea] only what it uses; no
// webhook secret, no public URL, no repo rights (the front node reports).
TEST_F(DoctorTest, AWorkerIsAskedForTheStoreTheSwarmAndTheGiteaSettingsItUses) {
  flags_ = {"--worker"};
  std::string worker_data = dir_.File("worker-data");
  config_ = NoStore() + "data_dir = " + worker_data + "\n[runner]\nconcurrency = 1\n" +
            "pass_env = FAKE_*\n[gitea]\nurl = " + gitea_.base_url() +
            "\ntoken_file = " + dir_.File("token") + "\nrepos = coop-cloud/nextcloud\n";
  testing::ChildResult r = Doctor({"CC_CI_DATABASE_URL="});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out.rfind("checking this host as a worker\n", 0), 0u) << r.out;
  std::vector<std::string> failed = Failed(r.out);
  ASSERT_EQ(failed.size(), 1u) << r.out;
  EXPECT_EQ(failed[0].rfind("\u2717 the store does not answer", 0), 0u) << failed[0];
  for (const std::string& line : {
           std::string("\u2713 abra knows every command and flag the runner uses (10 commands)\n"),
           std::string("\u2713 abra reaches server default\n"),
           std::string("\u2713 swarm active\n"),
           "\u2713 data dir " + worker_data + " writable, no cc-ci running on it\n",
           "\u2713 gitea.url " + gitea_.base_url() + ": PR heads are cloned from it\n",
           "\u2713 Gitea " + gitea_.base_url() + ": the token is cc-ci's (gitea.bot_login)\n",
       }) {
    EXPECT_NE(r.out.find(line), std::string::npos) << "missing: " << line << "in:\n" << r.out;
  }
  for (const char* gone : {"webhook secret", "public_url", "/healthz", "coop-cloud/nextcloud"}) {
    EXPECT_EQ(r.out.find(gone), std::string::npos) << gone << " asked of a worker:\n" << r.out;
  }

  // Without the front node's [gitea] it says what the worker then cannot do.
  config_ = NoStore() + "data_dir = " + worker_data + "\n[runner]\nconcurrency = 1\n" +
            "pass_env = FAKE_*\n";
  r = Doctor({"CC_CI_DATABASE_URL=", "CC_CI_GITEA_TOKEN="});
  failed = Failed(r.out);
  ASSERT_EQ(failed.size(), 3u) << r.out;
  EXPECT_EQ(failed[1],
            "\u2717 gitea.url is not set, so this worker refuses to clone PR heads "
            "from Gitea \u2014 set gitea.url as on the front node");
  EXPECT_EQ(failed[2],
            "\u2717 no Gitea token, so this worker cannot ask Gitea who may run a PR: "
            "every PR waits for a !cc-ci ok-to-test \u2014 give it the front node's "
            "token (gitea.token_file or CC_CI_GITEA_TOKEN) and gitea.trusted_users");

  // cc-ci worker's own configuration rules.
  config_ = "[storage]\ndata_dir = " + worker_data + "\n";
  r = Doctor();
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("storage.driver must be postgres"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ccci
