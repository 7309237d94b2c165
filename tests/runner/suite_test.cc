// The generic suite end to end against the scripted fake abra (tests/fakes/bin/abra) on PATH,
// the real PtyExecutor, real git repos built from ../shared/recipes, a fake app process per
// deploy and a fake proxy that routes by Host header, reached through connect_to.
#include "bot/runner/suite.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "bot/runner/abra_contract.h"
#include "bot/runner/host_tools.h"
#include "bot/runner/readme_scores.h"
#include "bot/runner/suite_level.h"
#include "bot/store/memory_store.h"
#include "tests/fakes/wait_until.h"
#include "tests/runner/suite_fixture.h"

namespace ccci::runner {
namespace {

// Green up to lint; above it bonfire's README block is empty where cc-ci measures scores, so
// the maintained rung (8) fails and the run is level 7 (suite_rungs_test.cc: the rungs above).
// The runner copies every stage log, the screenshot and the README scores to the store, byte for
// byte, for the dashboards of other hosts; each stage's copy is complete when the stage is reported
// ended.
TEST_F(SuiteTest, StageLogsScreenshotAndScoresAreCopiedToTheStore) {
  auto store = OpenMemoryStore();
  ASSERT_TRUE(store.ok());
  deps_.artifacts = store->get();
  deps_.screenshot = [](const std::string&, const std::string& out) {
    std::ofstream(out, std::ios::binary) << std::string("\x89PNG\0shot", 9);
    return Status::Ok();
  };
  class Check : public SuiteObserver {
   public:
    Check(ArtifactStore* s, std::string dir) : s_(s), dir_(std::move(dir)) {}
    void StageStarted(const StageRecord&) override {}
    void StageFinished(const StageRecord& st) override {
      auto chunks = s_->ReadLogChunks(7, st.name + ".log", 0, 1 << 30);
      copied[st.name] = chunks.ok() ? LogBytesFrom(*chunks, 0, 1 << 30) : "<error>";
      files[st.name] = Slurp(dir_ + "/" + st.name + ".log");
    }
    std::map<std::string, std::string> copied, files;

   private:
    ArtifactStore* s_;
    std::string dir_;
  };
  SuiteSpec spec = Spec("bonfire");
  Check check(store->get(), spec.log_dir);
  deps_.observer = &check;
  SuiteResult r = RunSuite(spec, deps_, cancel_);
  EXPECT_FALSE(r.ci_error) << r.ci_error_reason;
  ASSERT_EQ(check.files.size(), std::size(kSuiteStages));
  for (const auto& [name, bytes] : check.files) {
    EXPECT_FALSE(bytes.empty()) << name;
    EXPECT_EQ(check.copied[name], bytes) << name;
  }
  EXPECT_NE(check.copied["install"].find("$ abra app deploy"), std::string::npos);
  auto shot = (*store)->GetBlob(7, kScreenshotFile);
  ASSERT_TRUE(shot.ok()) << shot.status().ToString();
  EXPECT_EQ(shot->bytes, std::string("\x89PNG\0shot", 9));
  EXPECT_EQ(shot->content_type, "image/png");
  auto scores = (*store)->GetBlob(7, kScoresReportFile);
  ASSERT_TRUE(scores.ok()) << scores.status().ToString();
  EXPECT_EQ(scores->bytes, Slurp(spec.log_dir + "/" + kScoresReportFile));
  EXPECT_FALSE(scores->bytes.empty());
}

TEST_F(SuiteTest, GreenRunOnBonfireReachesLevelSeven) {
  setenv("FAKE_ABRA_NEED_TTY", "1", 1);  // abra wants a terminal: the pty gives it one
  SuiteSpec spec = Spec("bonfire");
  SuiteResult r = RunSuite(spec, deps_, cancel_);
  auto s = ByName(r);
  EXPECT_FALSE(r.ci_error) << r.ci_error_reason;
  EXPECT_EQ(s["install"].status, kStagePass)
      << s["install"].reason << Slurp(spec.log_dir + "/install.log");
  EXPECT_EQ(s["upgrade"].status, kStagePass)
      << s["upgrade"].reason << Slurp(spec.log_dir + "/upgrade.log");
  EXPECT_EQ(s["upgrade"].reason, "upgraded from 2.0.1+1.0.6-social-amd64");
  EXPECT_EQ(s["backup"].status, kStagePass) << s["backup"].reason;
  EXPECT_EQ(s["restore"].status, kStagePass) << s["restore"].reason;
  EXPECT_EQ(s["functional"].status, kStageSkip);
  EXPECT_EQ(s["lint"].status, kStagePass) << s["lint"].reason;
  EXPECT_EQ(s["upgrade-safe"].status, kStagePass) << s["upgrade-safe"].reason;
  EXPECT_EQ(s["clean"].status, kStagePass) << s["clean"].reason;
  EXPECT_EQ(s["maintained"].status, kStageFail) << s["maintained"].reason;
  EXPECT_EQ(s["screenshot"].status, kStageSkip);
  EXPECT_EQ(s["teardown"].status, kStagePass) << s["teardown"].reason;
  ASSERT_EQ(r.stages.size(), std::size(kSuiteStages));
  for (size_t i = 0; i < r.stages.size(); ++i) EXPECT_EQ(r.stages[i].name, kSuiteStages[i]);
  auto level = LevelOf(r.stages);
  EXPECT_FALSE(level.ci_error);
  EXPECT_EQ(level.level, 7);

  // The install deployed the PR head (a chaos deploy), after `app new` moved the checkout.
  std::string calls = Slurp(swarm_ + "/calls.log");
  // Operands follow "--", so none can pass for a flag.
  EXPECT_NE(calls.find("abra app new --server default --domain " + spec.domain +
                       " --no-input -- bonfire\nabra app secret generate --all --no-input -- " +
                       spec.domain + "\n"),
            std::string::npos)
      << calls;
  EXPECT_NE(calls.find("abra app deploy --force --no-domain-checks --no-input -- " + spec.domain +
                       " 2.0.1+1.0.6-social-amd64"),
            std::string::npos)
      << calls;
  EXPECT_NE(calls.find("abra app remove --force --no-input -- " + spec.domain), std::string::npos);
  // Logs: one per stage, each command introduced; the observer heard every stage.
  EXPECT_NE(Slurp(spec.log_dir + "/install.log")
                .find("$ abra app deploy --chaos --no-domain-checks --no-input -- " + spec.domain),
            std::string::npos);
  EXPECT_EQ(s["install"].log_path, "runs/7/install.log");
  EXPECT_EQ(recorder_.events.front(), "start install");
  EXPECT_EQ(recorder_.events.back(), "teardown pass");
  EXPECT_FALSE(Exists(spec.work_dir)) << "teardown deletes the run's dir";
}

TEST_F(SuiteTest, TraefikHasNoReleaseAndNoBackupLabels) {
  SuiteResult r = RunSuite(Spec("traefik"), deps_, cancel_);
  auto s = ByName(r);
  EXPECT_EQ(s["install"].status, kStagePass) << s["install"].reason;
  EXPECT_EQ(s["upgrade"].status, kStageSkip);
  EXPECT_NE(s["upgrade"].reason.find("no previous release"), std::string::npos);
  EXPECT_EQ(s["backup"].status, kStageSkip);
  EXPECT_EQ(s["backup"].reason, "no backupbot.backup label in compose*.yml");
  EXPECT_EQ(s["restore"].status, kStageSkip);
  EXPECT_EQ(s["upgrade-safe"].status, kStageSkip);
  EXPECT_EQ(s["upgrade-safe"].reason,
            "no previous release to compare with (no x.y.z+upstream tag)");
  EXPECT_EQ(s["clean"].status, kStagePass) << s["clean"].reason;
  EXPECT_EQ(s["maintained"].reason, "no release yet (no x.y.z+upstream tag)");
  EXPECT_EQ(LevelOf(r.stages).level, 7) << "structural skips count as intentional";
}

TEST_F(SuiteTest, AFailedDeployIsLevelZeroAndLaterStagesAreUnverified) {
  setenv("FAKE_ABRA_FAIL", "deploy", 1);
  SuiteResult r = RunSuite(Spec("bonfire"), deps_, cancel_);
  auto s = ByName(r);
  EXPECT_EQ(s["install"].status, kStageFail);
  EXPECT_EQ(s["install"].reason, "abra app deploy exited 1: FATA deploy failed (FAKE_ABRA_FAIL)");
  EXPECT_EQ(s["install"].exit_code, 1);
  EXPECT_EQ(s["upgrade"].status, kStageUnverified);
  EXPECT_EQ(s["backup"].status, kStageUnverified);
  EXPECT_EQ(s["lint"].status, kStagePass) << "lint reads the recipe, not the app";
  EXPECT_EQ(s["teardown"].status, kStagePass) << s["teardown"].reason;
  auto level = LevelOf(r.stages);
  EXPECT_FALSE(level.ci_error);
  EXPECT_EQ(level.level, 0);
}

TEST_F(SuiteTest, LintTableWithAFailedErrorRuleFailsLint) {
  setenv("FAKE_ABRA_LINT", "fail", 1);
  SuiteSpec spec = Spec("traefik");
  SuiteResult r = RunSuite(spec, deps_, cancel_);
  auto s = ByName(r);
  EXPECT_EQ(s["lint"].status, kStageFail);
  EXPECT_EQ(s["lint"].reason, "error rules not satisfied: R014");
  EXPECT_EQ(s["lint"].exit_code, 0) << "abra exits 0 even when error rules fail";
  EXPECT_NE(Slurp(spec.log_dir + "/lint.log").find("R014"), std::string::npos)
      << "the table is kept";
  EXPECT_EQ(LevelOf(r.stages).level, 4);
}

TEST_F(SuiteTest, ABackupThatFailsOnceIsRetried) {
  setenv("FAKE_ABRA_FAIL_ONCE", "backup", 1);
  SuiteResult r = RunSuite(Spec("bonfire"), deps_, cancel_);
  auto s = ByName(r);
  EXPECT_EQ(s["backup"].status, kStagePass) << s["backup"].reason;
  EXPECT_EQ(s["restore"].status, kStagePass) << s["restore"].reason;
}

TEST_F(SuiteTest, AFailedRestoreStopsTheLadderAtUpgrade) {
  setenv("FAKE_ABRA_FAIL", "restore", 1);
  SuiteResult r = RunSuite(Spec("bonfire"), deps_, cancel_);
  auto s = ByName(r);
  EXPECT_EQ(s["restore"].status, kStageFail);
  EXPECT_EQ(LevelOf(r.stages).level, 2);
}

TEST_F(SuiteTest, ASwarmRollbackFailsTheUpgrade) {
  setenv("FAKE_ABRA_ROLLBACK", "1", 1);
  SuiteResult r = RunSuite(Spec("bonfire"), deps_, cancel_);
  auto s = ByName(r);
  EXPECT_EQ(s["upgrade"].status, kStageFail);
  EXPECT_EQ(s["upgrade"].reason, "the swarm rolled the upgrade back (rollback_completed)");
  EXPECT_EQ(LevelOf(r.stages).level, 1);
}

TEST_F(SuiteTest, AHangingCommandIsKilledWithItsWholeGroupAtTheTimeout) {
  setenv("FAKE_ABRA_HANG", "backup", 1);
  SuiteSpec spec = Spec("bonfire");
  spec.stage_timeout = std::chrono::seconds(2);
  SuiteResult r = RunSuite(spec, deps_, cancel_);
  auto s = ByName(r);
  EXPECT_EQ(s["backup"].status, kStageFail);
  EXPECT_NE(s["backup"].reason.find("timed out"), std::string::npos) << s["backup"].reason;
  pid_t child = std::stoi(Slurp(swarm_ + "/hang-child.pid"));
  EXPECT_TRUE(Dead(child)) << "the hanging command's child outlived the timeout";
  EXPECT_EQ(s["teardown"].status, kStagePass);
}

TEST_F(SuiteTest, CancelStopsTheRunAndTeardownStillRuns) {
  setenv("FAKE_ABRA_HANG", "backup", 1);
  SuiteSpec spec = Spec("bonfire");
  std::thread canceller([&] {
    ccci::testing::WaitUntil([&] { return Exists(swarm_ + "/hang-child.pid"); },
                             std::chrono::seconds(30), std::chrono::milliseconds(50));
    cancel_.Cancel();
  });
  SuiteResult r = RunSuite(spec, deps_, cancel_);
  canceller.join();
  auto s = ByName(r);
  EXPECT_TRUE(r.cancelled);
  EXPECT_EQ(s["backup"].status, kStageError);
  EXPECT_EQ(s["backup"].reason, "cancelled");
  EXPECT_EQ(s.count("restore"), 0u) << "nothing runs after a cancel but teardown";
  EXPECT_EQ(s["teardown"].status, kStagePass);
}

// cc-ci's own secrets are redacted wherever they show up.
TEST_F(SuiteTest, KnownSecretsAreRedacted) {
  SuiteSpec spec = Spec("traefik");
  spec.secrets = {spec.domain};
  RunSuite(spec, deps_, cancel_);
  std::string log = Slurp(spec.log_dir + "/install.log");
  EXPECT_EQ(log.find(spec.domain), std::string::npos);
  EXPECT_NE(log.find("$ abra app deploy --chaos --no-domain-checks --no-input -- ***"),
            std::string::npos)
      << log;
}

// The secrets abra generates for the app are known to nobody in advance: they are generated
// in a step whose output is not logged.
TEST_F(SuiteTest, GeneratedSecretsNeverReachTheLog) {
  setenv("FAKE_ABRA_SECRET", "hunter2-very-secret", 1);
  SuiteSpec spec = Spec("traefik");
  SuiteResult r = RunSuite(spec, deps_, cancel_);
  EXPECT_EQ(ByName(r)["install"].status, kStagePass) << ByName(r)["install"].reason;
  std::string log = Slurp(spec.log_dir + "/install.log");
  EXPECT_EQ(log.find("hunter2"), std::string::npos) << log;
  EXPECT_NE(log.find("$ abra app secret generate --all --no-input -- " + spec.domain +
                     "\n"
                     "[cc-ci] output not logged: it holds the generated secrets"),
            std::string::npos)
      << log;
}

TEST_F(SuiteTest, AFailedSecretGenerationFailsTheInstallWithAbrasErrorOnly) {
  setenv("FAKE_ABRA_FAIL", "secret", 1);
  SuiteSpec spec = Spec("traefik");
  SuiteResult r = RunSuite(spec, deps_, cancel_);
  EXPECT_EQ(ByName(r)["install"].status, kStageFail);
  EXPECT_EQ(ByName(r)["install"].reason,
            "abra app secret generate exited 1: FATA secret failed (FAKE_ABRA_FAIL)");
}

TEST_F(SuiteTest, MissingAbraIsACiErrorNotLevelZero) {
  SuiteSpec spec = Spec("traefik");
  spec.abra = "/nonexistent/abra";
  SuiteResult r = RunSuite(spec, deps_, cancel_);
  EXPECT_TRUE(r.ci_error);
  EXPECT_EQ(ByName(r)["install"].status, kStageError);
  EXPECT_TRUE(LevelOf(r.stages).ci_error);
  // A host problem, said as one: not "cc-ci itself broke".
  EXPECT_EQ(r.ci_error_reason, "/nonexistent/abra not found: install abra or set runner.abra");
}

TEST_F(SuiteTest, AbraNotOnPathSaysHowToFixIt) {
  std::string path = getenv("PATH");
  setenv("PATH", "/usr/local/bin:/usr/bin:/bin", 1);
  if (!FindProgram("abra").empty()) {
    setenv("PATH", path.c_str(), 1);
    GTEST_SKIP() << "a real abra is installed on this host";
  }
  SuiteResult r = RunSuite(Spec("traefik"), deps_, cancel_);
  setenv("PATH", path.c_str(), 1);
  EXPECT_EQ(ByName(r)["install"].reason, "abra not found on PATH: install abra or set runner.abra");
}

// A source that is not a git repo said only "git exited 128", hiding git's reason.
TEST_F(SuiteTest, AnUncloneableSourceSaysWhatGitSaid) {
  SuiteSpec spec = Spec("traefik");
  spec.source = dir_.path() + "/not-a-repo";
  Sh("mkdir -p '" + spec.source + "'");
  SuiteResult r = RunSuite(spec, deps_, cancel_);
  EXPECT_TRUE(r.ci_error);
  EXPECT_EQ(r.ci_error_reason.rfind("cannot clone " + spec.source + ": git exited 128: fatal: ", 0),
            0u)
      << r.ci_error_reason;
}

TEST_F(SuiteTest, AnUnreachableServerIsACiError) {
  setenv("FAKE_ABRA_UNREACHABLE", "1", 1);
  SuiteResult r = RunSuite(Spec("traefik"), deps_, cancel_);
  EXPECT_TRUE(r.ci_error);
  EXPECT_NE(r.ci_error_reason.find("server default unreachable"), std::string::npos)
      << r.ci_error_reason;
}

TEST_F(SuiteTest, OverlayChecksDeclaredSkipsAndUnapprovedRecipeCode) {
  SuiteSpec spec = Spec("traefik");
  auto o = ParseOverlay(
      "[app]\nhealth_path = /health\nenv = EXTRA=1\n"
      "[skip]\nlint = upstream lint is broken\n"
      "[suite]\nrecipe_checks = tests/check.sh\n"
      "[functional]\nhome = curl -fsS --connect-to \"$CC_CI_CONNECT_TO\" \"$APP_URL/\" | grep -q "
      "'fake app'\n"
      "env = grep -q EXTRA=1 \"$ABRA_DIR/servers/default/$DOMAIN.env\"\n",
      "traefik.ini");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  spec.overlay = *o;
  SuiteResult r = RunSuite(spec, deps_, cancel_);
  auto s = ByName(r);
  EXPECT_EQ(s["functional"].status, kStagePass)
      << s["functional"].reason << Slurp(spec.log_dir + "/functional.log");
  EXPECT_NE(Slurp(spec.log_dir + "/functional.log").find("not in runner.approved_recipes"),
            std::string::npos);
  EXPECT_EQ(s["lint"].status, kStageSkip);
  EXPECT_EQ(s["lint"].reason, "declared in the overlay: upstream lint is broken");

  spec.overlay.checks = {{"broken", "exit 3"}};
  SuiteResult r2 = RunSuite(spec, deps_, cancel_);
  EXPECT_EQ(ByName(r2)["functional"].status, kStageFail);
  EXPECT_EQ(ByName(r2)["functional"].reason, "check broken exited 3: ");
}

// The PR head is not the default branch's tip: lint must look at the PR head, not at what
// abra would move the checkout to.
TEST_F(SuiteTest, LintChecksThePrHeadNotTheDefaultBranch) {
  SuiteSpec spec = Spec("traefik");
  std::string g = "git -C '" + repo_.dir + "' -c user.name=t -c user.email=t@example.org ";
  Sh(g + "checkout -q -b pr && echo change >> '" + repo_.dir + "/README.md' && " + g +
     "commit -qam 'the PR' && " + g + "checkout -q main && echo other >> '" + repo_.dir +
     "/.release' && " + g + "commit -qam 'main moved on'");
  std::string pr_head = Sh("git -C '" + repo_.dir + "' rev-parse pr");
  spec.ref = pr_head.substr(0, pr_head.find('\n'));
  SuiteResult r = RunSuite(spec, deps_, cancel_);
  EXPECT_EQ(ByName(r)["lint"].status, kStagePass) << ByName(r)["lint"].reason;
  std::string calls = Slurp(swarm_ + "/calls.log");
  EXPECT_NE(calls.find("lint at " + spec.ref), std::string::npos) << calls;
}

TEST_F(SuiteTest, VolumesThatCannotBeRemovedLeaveTheUpgradeUnverified) {
  setenv("FAKE_ABRA_FAIL", "volume", 1);
  SuiteSpec spec = Spec("bonfire");
  SuiteResult r = RunSuite(spec, deps_, cancel_);
  auto s = ByName(r);
  EXPECT_EQ(s["upgrade"].status, kStageUnverified);
  EXPECT_NE(s["upgrade"].reason.find("the volumes could not be removed"), std::string::npos)
      << s["upgrade"].reason;
  std::string calls = Slurp(swarm_ + "/calls.log");
  size_t tries = 0;
  for (size_t at = calls.find("abra app volume remove"); at != std::string::npos;
       at = calls.find("abra app volume remove", at + 1)) {
    ++tries;
  }
  EXPECT_EQ(tries, 5u) << "retried while swarm may still hold them";
  EXPECT_EQ(calls.find(spec.domain + " 2.0.1+1.0.6-social-amd64"), std::string::npos)
      << "the old release is not deployed over old data";
}

// An overlay's data check: seeded before the backup, changed after it, found again after the
// restore; a restore that brings nothing back fails it.
TEST_F(SuiteTest, TheDataCheckProvesTheRestoreBroughtTheDataBack) {
  SuiteSpec spec = Spec("bonfire");
  std::string note = "\"$FAKE_SWARM_DIR/volumes/$STACK_NAME/data/note\"";
  spec.overlay.data_seed = "echo v1 > " + note;
  spec.overlay.data_change = "echo v2 > " + note;
  spec.overlay.data_verify = "test \"$(cat " + note + ")\" = v1";
  SuiteResult good = RunSuite(spec, deps_, cancel_);
  EXPECT_EQ(ByName(good)["backup"].status, kStagePass) << ByName(good)["backup"].reason;
  EXPECT_EQ(ByName(good)["restore"].status, kStagePass) << ByName(good)["restore"].reason;
  EXPECT_EQ(ByName(good)["restore"].reason, "the seeded data came back");

  setenv("FAKE_ABRA_RESTORE_NOOP", "1", 1);
  spec.log_dir += "-again";
  SuiteResult bad = RunSuite(spec, deps_, cancel_);
  EXPECT_EQ(ByName(bad)["restore"].status, kStageFail);
  EXPECT_EQ(ByName(bad)["restore"].reason.find("the restored data is not what was backed up"), 0u)
      << ByName(bad)["restore"].reason;
  EXPECT_EQ(LevelOf(bad.stages).level, 2);
}

// Git itself is told which protocols it may use: here not git's file protocol.
TEST_F(SuiteTest, GitMayNotUseAProtocolTheSpecDoesNotAllow) {
  SuiteSpec spec = Spec("traefik");
  spec.git_protocols = "https:http:ssh";
  SuiteResult r = RunSuite(spec, deps_, cancel_);
  EXPECT_EQ(r.ci_error_reason.rfind("cannot clone " + spec.source + ": git exited 128", 0), 0u)
      << r.ci_error_reason;
  EXPECT_NE(Slurp(spec.log_dir + "/install.log").find("transport 'file' not allowed"),
            std::string::npos);
}

// The fake is as strict as abra's flag parser, so a misspelt flag in the runner fails a test.
TEST_F(SuiteTest, TheFakeAbraRefusesFlagsAbraDoesNotKnow) {
  std::string abra_dir = dir_.path() + "/abra";
  Sh("mkdir -p '" + abra_dir + "'");
  std::string out;
  try {
    Sh("ABRA_DIR='" + abra_dir + "' abra app deploy x.ci.test --chaos --no-domain-check");
  } catch (const std::runtime_error& e) {
    out = e.what();
  }
  EXPECT_NE(out.find("Error: unknown flag: --no-domain-check"), std::string::npos) << out;
}

// The abra contract (bot/runner/abra_contract.h) is what `cc-ci doctor` checks the host's
// abra against: every abra call of a whole suite must be in it, command and flags.
TEST_F(SuiteTest, EveryAbraCallOfTheSuiteIsInTheAbraContract) {
  SuiteSpec spec = Spec("bonfire");
  SuiteResult r = RunSuite(spec, deps_, cancel_);
  // Every stage that calls abra (install to lint) passed; bonfire stops higher up, at rungs
  // that read files and docker only.
  ASSERT_GE(LevelOf(r.stages).level, 5);
  std::istringstream calls(Slurp(swarm_ + "/calls.log"));
  std::set<std::string> seen;
  for (std::string line; std::getline(calls, line);) {
    if (line.rfind("abra ", 0) != 0) continue;
    std::istringstream words(line.substr(5));
    std::vector<std::string> args;
    for (std::string w; words >> w;) args.push_back(w);
    const AbraCommand* c = FindAbraCommand(args);
    ASSERT_NE(c, nullptr) << "not in the contract: " << line;
    seen.insert(c->words);
    for (const std::string& a : args) {
      if (a == "--") break;  // operands follow
      if (a.rfind("--", 0) != 0) continue;
      EXPECT_NE(std::find(c->flags.begin(), c->flags.end(), a), c->flags.end())
          << a << " of `" << line << "` is not in the contract";
    }
  }
  EXPECT_EQ(seen.size(), AbraContract().size()) << "a green run uses every contract command";
}

TEST(RunDomain, IsAValidDnsLabel) {
  EXPECT_EQ(RunDomain("bonfire", 12, 7, "ci.test"), "bonfire-12-7.ci.test");
  EXPECT_EQ(RunDomain("My_Recipe..X", 1, 2, ""), "my-recipe-x-1-2");
  std::string d = RunDomain(std::string(80, 'a'), 123456, 999999, "x");
  EXPECT_EQ(d.find('.'), 63u);
  EXPECT_EQ(StackName("a.b.c"), "a_b_c");
}

}  // namespace
}  // namespace ccci::runner
