#include "bot/config/config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "tests/fakes/test_files.h"

namespace ccci {
namespace {

using testing::TempDir;

TEST(ConfigTest, DefaultsAreValid) {
  Config c;
  EXPECT_TRUE(c.Validate().ok()) << c.Validate().ToString();
  EXPECT_EQ(c.listen, "127.0.0.1:8080");
  EXPECT_TRUE(c.EffectiveDryRun());
  EXPECT_EQ(c.EffectivePublicUrl(), "http://127.0.0.1:8080");
}

TEST(ConfigTest, ExampleFileDocumentsEveryKeyWithItsDefault) {
  std::string text = testing::ReadFileOrDie(CCCI_SOURCE_DIR "/cc-ci.example.ini");
  for (const ConfigKey& k : ConfigKeys()) {
    std::string name = k.name;
    std::string key = name.substr(name.find('.') + 1);
    std::string section = "[" + name.substr(0, name.find('.')) + "]";
    size_t sec = text.find(section);
    ASSERT_NE(sec, std::string::npos) << section;
    std::string line = key + (*k.def ? std::string(" = ") + k.def : std::string(" ="));
    size_t at = text.find("\n" + line + "\n", sec);
    EXPECT_NE(at, std::string::npos) << "example lacks '" << line << "' under " << section;
  }
  // And the example, as it stands, is a valid config that changes nothing.
  Config c;
  ASSERT_TRUE(ApplyIni(text, "cc-ci.example.ini", &c).ok());
  EXPECT_TRUE(c.Validate().ok());
  Config d;
  EXPECT_EQ(c.listen, d.listen);
  EXPECT_EQ(c.reconcile_interval_s, d.reconcile_interval_s);
  EXPECT_EQ(c.keepalive_timeout_s, d.keepalive_timeout_s);
  EXPECT_EQ(c.max_body_bytes, d.max_body_bytes);
  EXPECT_FALSE(c.status_per_stage) << "one commit status unless asked for more";
}

struct BadIni {
  const char* text;
  const char* error;
};

TEST(ConfigTest, BadFilesAreRefusedWithLineKeyAndReason) {
  const BadIni cases[] = {
      {"[server]\nlisen = 1.2.3.4:1\n", "f.ini:2: server.lisen: unknown key"},
      {"[server]\nkeepalive_timeout = soon\n", "f.ini:2: server.keepalive_timeout: not a duration"},
      {"[server]\nmax_connections = 2\n", "f.ini:2: server.max_connections: must be between 4"},
      {"listen = x\n", "f.ini:1: listen: key outside any [section]"},
      {"[server\n", "f.ini:1: unterminated section header"},
      {"[gitea]\ndry_run = maybe\n", "f.ini:2: gitea.dry_run: not a boolean"},
      {"[gitea]\nstatus_per_stage = sometimes\n", "f.ini:2: gitea.status_per_stage: not a boolean"},
      {"[gitea]\nbot_login = a\nbot_login = b\n", "f.ini:3: gitea.bot_login: set twice"},
      {"[log]\njust words\n", "f.ini:2: expected 'key = value'"},
      {"[levels]\nmaintained_months = 0\n", "f.ini:2: levels.maintained_months: must be between 1"},
      {"[gitea]\nreadme_prs = sometimes\n", "f.ini:2: gitea.readme_prs: not a boolean"},
      {"[gitea]\npass_level = 9\n", "f.ini:2: gitea.pass_level: must be between 0 and 8"},
      {"[schedule]\nnightly = 24:00\n", "f.ini:2: schedule.nightly: not a time of day HH:MM"},
      {"[schedule]\nnightly = 2:5\n", "f.ini:2: schedule.nightly: not a time of day HH:MM"},
      {"[schedule]\nnightly = 02:60\n", "f.ini:2: schedule.nightly: not a time of day HH:MM"},
      {"[schedule]\nnightly = 0230\n", "f.ini:2: schedule.nightly: not a time of day HH:MM"},
      {"[schedule]\nnightly = -1:30\n", "f.ini:2: schedule.nightly: not a time of day HH:MM"},
      {"[schedule]\nnightly = 02:30 UTC\n", "f.ini:2: schedule.nightly: not a time of day"},
      {"[schedule]\nregression_issues = yes please\n",
       "f.ini:2: schedule.regression_issues: not a boolean"},
      {"[schedule]\nweekly = 02:30\n", "f.ini:2: schedule.weekly: unknown key"},
  };
  for (const BadIni& b : cases) {
    Config c;
    Status s = ApplyIni(b.text, "f.ini", &c);
    ASSERT_FALSE(s.ok()) << b.text;
    EXPECT_NE(s.message().find(b.error), std::string::npos) << s.message();
  }
}

TEST(ConfigTest, NightlyIsOffUnlessATimeIsGiven) {
  Config c;
  EXPECT_EQ(c.nightly_minute, -1);
  ASSERT_TRUE(ApplyIni("[schedule]\nnightly =\n", "f.ini", &c).ok());
  EXPECT_EQ(c.nightly_minute, -1);
  ASSERT_TRUE(ApplyIni("[schedule]\nnightly = 02:30\n", "f.ini", &c).ok());
  EXPECT_EQ(c.nightly_minute, 150);
  Config d;
  ASSERT_TRUE(ApplyIni("[schedule]\nnightly = 0:05\n", "f.ini", &d).ok());
  EXPECT_EQ(d.nightly_minute, 5);
  Config e;
  ASSERT_TRUE(ApplyIni("[schedule]\nnightly = 23:59\n", "f.ini", &e).ok());
  EXPECT_EQ(e.nightly_minute, 23 * 60 + 59);
}

TEST(ConfigTest, NightlyNeedsGiteaAndIssuesNeedNightly) {
  Config c;
  c.nightly_minute = 150;
  EXPECT_EQ(c.Validate().message(),
            "schedule.nightly: needs gitea.url: each night the default branch's head is asked of "
            "Gitea");
  c.gitea_url = "https://git.example.org";
  EXPECT_TRUE(c.Validate().ok()) << c.Validate().ToString();
  c.nightly_minute = -1;
  c.regression_issues = true;
  EXPECT_EQ(c.Validate().message(),
            "schedule.regression_issues: true needs schedule.nightly (a time, like 02:30)");
  c.nightly_minute = 0;
  EXPECT_TRUE(c.Validate().ok()) << c.Validate().ToString();
}

TEST(ConfigTest, ValidateNamesTheKey) {
  Config c;
  c.listen = "nohost";
  EXPECT_NE(c.Validate().message().find("server.listen"), std::string::npos);
  c = Config();
  c.driver = "mysql";
  EXPECT_NE(c.Validate().message().find("storage.driver"), std::string::npos);
  c = Config();
  c.driver = "postgres";  // and no connection string
  EXPECT_NE(c.Validate().message().find("storage.url_file"), std::string::npos);
  c = Config();
  c.repos = {"just-a-name"};
  EXPECT_NE(c.Validate().message().find("gitea.repos"), std::string::npos);
  c = Config();
  c.dry_run = false;
  EXPECT_NE(c.Validate().message().find("gitea.dry_run"), std::string::npos);
}

TEST(ConfigTest, PassEnvNeverNamesCcCisOwnVariables) {
  for (const char* name : {"CC_CI_GITEA_TOKEN", "CC_CI_*", "CC_*", "*"}) {
    Config c;
    c.runner_pass_env = {"FAKE_*", name};
    EXPECT_EQ(c.Validate().message(),
              std::string("runner.pass_env: '") + name +
                  "' names cc-ci's own CC_CI_* variables, which no command gets") << name;
  }
  Config c;
  ASSERT_TRUE(ApplyIni("[runner]\npass_env = FAKE_*, AWS_PROFILE\nallowed_clone_urls = /srv/m\n",
                       "f", &c).ok());
  EXPECT_EQ(c.runner_pass_env, (std::vector<std::string>{"FAKE_*", "AWS_PROFILE"}));
  EXPECT_EQ(c.runner_allowed_clone_urls, std::vector<std::string>{"/srv/m"});
  EXPECT_TRUE(c.Validate().ok());
}

// Workers (issue 15): a front node runs no runner; a worker claims under a name that must be
// unique and readable in logs, with a lease the heartbeat can renew.
TEST(ConfigTest, WorkerKeys) {
  Config c;
  EXPECT_EQ(c.runner_lease_s, 60);
  EXPECT_EQ(c.runner_max_attempts, 2);
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  EXPECT_EQ(c.EffectiveWorkerName(), std::string(host) + "/default");
  ASSERT_TRUE(ApplyIni("[runner]\nconcurrency = 0\nworker_name = test-2\nlease = 90s\n"
                       "max_attempts = 3\n",
                       "f", &c)
                  .ok());
  EXPECT_EQ(c.runner_concurrency, 0) << "a front node";
  EXPECT_EQ(c.EffectiveWorkerName(), "test-2");
  EXPECT_EQ(c.runner_lease_s, 90);
  EXPECT_EQ(c.runner_max_attempts, 3);
  EXPECT_TRUE(c.Validate().ok());
  c.runner_worker_name = "test 2";
  EXPECT_EQ(c.Validate().message(),
            "runner.worker_name: 'test 2' must be 1-100 letters, digits or . _ - / : @");
  c = Config();
  c.runner_lease_s = 1;
  EXPECT_EQ(c.Validate().message(), "runner.lease: must be at least 2s");
  EXPECT_FALSE(ApplyIni("[runner]\nmax_attempts = 0\n", "f", &c).ok());
}

TEST(ConfigTest, TheRungsAboveLintHaveTheirKeys) {
  Config c;
  EXPECT_EQ(c.maintained_months, 6);
  EXPECT_TRUE(c.readme_prs);
  ASSERT_TRUE(ApplyIni("[levels]\nmaintained_months = 12\n[gitea]\nreadme_prs = false\npass_level = 8\n",
                       "f", &c)
                  .ok());
  EXPECT_EQ(c.maintained_months, 12);
  EXPECT_FALSE(c.readme_prs);
  EXPECT_EQ(c.pass_level, 8);
}

TEST(ConfigTest, ParsesListsAndDurations) {
  Config c;
  ASSERT_TRUE(ApplyIni("[gitea]\ntrusted_users = a, b ,c\nreconcile_interval = 2m\n"
                       "repos = coop-cloud/nextcloud\n",
                       "f", &c)
                  .ok());
  EXPECT_EQ(c.trusted_users, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(c.reconcile_interval_s, 120);
  EXPECT_TRUE(c.Validate().ok());
}

TEST(ConfigTest, GeneratesAPrivateWebhookSecretOnFirstStart) {
  TempDir dir;
  Config c;
  c.data_dir = dir.path();
  ASSERT_TRUE(LoadSecrets(&c).ok());
  ASSERT_EQ(c.webhook_secrets.size(), 1u);
  EXPECT_EQ(c.webhook_secrets[0].size(), 64u);
  struct stat st;
  ASSERT_EQ(stat(dir.File("webhook-secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // A restart reads the same secret back.
  Config again;
  again.data_dir = dir.path();
  ASSERT_TRUE(LoadSecrets(&again).ok());
  EXPECT_EQ(again.webhook_secrets, c.webhook_secrets);
}

TEST(ConfigTest, SecretFileHoldsSeveralSecretsForRotation) {
  TempDir dir;
  testing::WriteFile(dir.File("s"), "old\n\nnew\n");
  testing::WriteFile(dir.File("t"), "tok123\n");
  Config c;
  c.data_dir = dir.path();
  c.webhook_secret_file = dir.File("s");
  c.token_file = dir.File("t");
  ASSERT_TRUE(LoadSecrets(&c).ok());
  EXPECT_EQ(c.webhook_secrets, (std::vector<std::string>{"old", "new"}));
  EXPECT_EQ(c.gitea_token, "tok123");
  EXPECT_FALSE(c.EffectiveDryRun());
}

TEST(ConfigTest, MissingExplicitSecretFileIsAnError) {
  TempDir dir;
  Config c;
  c.data_dir = dir.path();
  c.webhook_secret_file = dir.File("nope");
  Status s = LoadSecrets(&c);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("gitea.webhook_secret_file"), std::string::npos);
}

TEST(ConfigTest, EnvironmentOverridesSecrets) {
  setenv("CC_CI_WEBHOOK_SECRET", "s1,s2", 1);
  setenv("CC_CI_GITEA_TOKEN", "envtoken", 1);
  auto c = LoadConfig(std::nullopt);
  unsetenv("CC_CI_WEBHOOK_SECRET");
  unsetenv("CC_CI_GITEA_TOKEN");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->webhook_secrets, (std::vector<std::string>{"s1", "s2"}));
  EXPECT_EQ(c->gitea_token, "envtoken");
}

}  // namespace
}  // namespace ccci
