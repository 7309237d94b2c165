#include "supervisor/config.h"

#include <gtest/gtest.h>

#include "supervisor/backend.h"
#include "tests/fakes/test_files.h"

namespace ccci::supervisor {
namespace {

using ::ccci::testing::TempDir;
using ::ccci::testing::WriteFile;

TEST(ConfigTest, DefaultsAreValid) {
  Result<SupervisorConfig> c = LoadConfig("/srv/cc-ci", "", {});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->Validate().ok());
  EXPECT_EQ(c->state_dir, "/srv/cc-ci/.cc-ci-supervisor");
  EXPECT_EQ(c->backend, Backend::kClaude);
}

TEST(ConfigTest, IniThenEnvironmentWins) {
  TempDir dir;
  WriteFile(dir.File("s.ini"),
            "# supervisor\n[loop]\nbackend = opencode\nmodel = anthropic/claude-sonnet-4-5\n"
            "[watchdog]\nstall_after = 120\nfatal_crashes = 3\nbackoff_jitter = 0.1\n"
            "[paths]\nstate_dir = /var/lib/ccci\n");
  Result<SupervisorConfig> c = LoadConfig("/r", dir.File("s.ini"), {{"LOOP_MODEL", "opus"}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->backend, Backend::kOpencode);
  EXPECT_EQ(c->model, "opus");
  EXPECT_EQ(c->stall_after, Seconds(120));
  EXPECT_EQ(c->fatal_crashes, 3);
  EXPECT_DOUBLE_EQ(c->backoff_jitter, 0.1);
  EXPECT_EQ(c->state_dir, "/var/lib/ccci");
  c = LoadConfig("/r", dir.File("s.ini"), {{"LOOP_BACKEND", "claude"}});
  EXPECT_EQ(c->backend, Backend::kClaude);
}

TEST(ConfigTest, BadValuesAreRejectedWithTheKey) {
  TempDir dir;
  WriteFile(dir.File("a.ini"), "stall_after = soon\n");
  Result<SupervisorConfig> c = LoadConfig("/r", dir.File("a.ini"), {});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("stall_after"), std::string::npos);
  WriteFile(dir.File("b.ini"), "colour = blue\n");
  EXPECT_FALSE(LoadConfig("/r", dir.File("b.ini"), {}).ok());
  EXPECT_FALSE(LoadConfig("/r", "", {{"LOOP_BACKEND", "gpt"}}).ok());
  EXPECT_FALSE(LoadConfig("/r", dir.File("missing.ini"), {}).ok());
  SupervisorConfig bad = *LoadConfig("/r", "", {});
  bad.backoff_max = Seconds(1);
  EXPECT_FALSE(bad.Validate().ok());
}

TEST(ConfigTest, OrchestratorUpgraderAndRemoteKeys) {
  TempDir dir;
  WriteFile(dir.File("s.ini"),
            "[orchestrator]\norchestrator_stall_after = 2400\norchestrator_interval = 300\n"
            "[upgrader]\nupgrader_backend = opencode\nupgrader_model = m\nupgrade_timeout = 60\n"
            "[paths]\nremote_url = /srv/git/cc-ci.git\nremote_timeout = 5\n");
  Result<SupervisorConfig> c = LoadConfig("/r", dir.File("s.ini"), {});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->orchestrator_stall_after, Seconds(2400));
  EXPECT_EQ(c->orchestrator_interval, Seconds(300));
  EXPECT_EQ(c->upgrader_backend, Backend::kOpencode);
  EXPECT_EQ(c->upgrader_model, "m");
  EXPECT_EQ(c->upgrade_timeout, Seconds(60));
  EXPECT_EQ(c->remote_url, "/srv/git/cc-ci.git");
  EXPECT_EQ(c->remote_timeout, Seconds(5));
  EXPECT_TRUE(c->Validate().ok());
  c = LoadConfig("/r", dir.File("s.ini"), {{"CC_CI_REPO", "https://git.example.org/cc-ci.git"}});
  EXPECT_EQ(c->remote_url, "https://git.example.org/cc-ci.git") << "the environment wins";
  EXPECT_TRUE(LoadConfig("/r", "", {})->remote_url.empty()) << "no remote unless asked";
  SupervisorConfig bad = *LoadConfig("/r", "", {});
  bad.upgrade_timeout = Seconds(0);
  EXPECT_FALSE(bad.Validate().ok());
  bad = *LoadConfig("/r", "", {});
  bad.remote_timeout = Seconds(0);
  EXPECT_FALSE(bad.Validate().ok());
}

TEST(BackendTest, NestedAgentVariablesAreRemoved) {
  SupervisorConfig c = *LoadConfig("/r", "", {});
  c.unset_env = {"SECRET_FOR_HUMANS"};
  AgentCommand cmd = BuildAgentCommand(c, {"builder", "go", "", ""},
                                       {{"CLAUDECODE", "1"},
                                        {"CLAUDE_CODE_ENTRYPOINT", "cli"},
                                        {"CLAUDE_CODE_SSE_PORT", "1"},
                                        {"OPENCODE", "1"},
                                        {"SECRET_FOR_HUMANS", "x"},
                                        {"ANTHROPIC_API_KEY", "k"}});
  EXPECT_EQ(cmd.env.size(), 1u);
  EXPECT_EQ(cmd.env.count("ANTHROPIC_API_KEY"), 1u);
}

}  // namespace
}  // namespace ccci::supervisor
