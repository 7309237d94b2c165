#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "supervisor/journal.h"
#include "supervisor/repo_probe.h"
#include "supervisor/watchdog.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/test_files.h"
#include "tests/supervisor/fake_launcher.h"

namespace ccci::supervisor {
namespace {

using ::ccci::testing::TempDir;
using ::ccci::testing::WriteFile;

class PlanGitTest : public ::testing::Test {
 protected:
  PlanGitTest() : repo_(dir_.File("repo")) {
    std::filesystem::create_directories(repo_ + "/plans");
    Git("init -q -b main");
    WriteFile(repo_ + "/plans/plan.md", "# cc-ci\nThe mission.\n");
    WriteFile(repo_ + "/plans/01-intake.md", "# Phase 1\n- [ ] webhooks\n");
    WriteFile(repo_ + "/plans/02-runner.md", "# Phase 2\n- [ ] runs\n");
    Commit("plans");
  }
  void Git(const std::string& args) {
    std::string cmd = "git -C '" + repo_ + "' -c user.name=t -c user.email=t@example.org " + args +
                      " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  void Commit(const std::string& msg) {
    Git("add -A");
    Git("commit -q -m '" + msg + "'");
  }
  void MarkDone(const std::string& file) {
    WriteFile(repo_ + "/" + file, "# Phase\n- [x] all of it\n\n## DONE\n");
  }

  TempDir dir_;
  std::string repo_;
};

TEST_F(PlanGitTest, PhasesAdvanceOnlyWithDoneCommittedOnMain) {
  GitRepoProbe probe(repo_, "plans", "main");
  Result<PlanStatus> plan = probe.ReadPlan();
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->phases.size(), 2u);
  EXPECT_EQ(plan->CurrentFile(), "plans/01-intake.md");

  MarkDone("plans/01-intake.md");  // work tree only
  EXPECT_EQ(probe.ReadPlan()->current, 0u) << "the work tree must not count";

  Git("checkout -q -b feature");
  Commit("phase 1 done on a branch");
  EXPECT_EQ(probe.ReadPlan()->current, 0u) << "another branch must not count";

  Git("checkout -q main");
  Git("merge -q --ff-only feature");
  EXPECT_EQ(probe.ReadPlan()->CurrentFile(), "plans/02-runner.md");
  EXPECT_FALSE(probe.ReadPlan()->AllDone());

  MarkDone("plans/02-runner.md");
  Commit("phase 2 done");
  EXPECT_TRUE(probe.ReadPlan()->AllDone());
  EXPECT_NE(probe.LastCommit().find("phase 2 done"), std::string::npos);
}

TEST_F(PlanGitTest, DoneMustBeItsOwnHeading) {
  EXPECT_TRUE(HasDoneMarker("x\n## DONE\n"));
  EXPECT_TRUE(HasDoneMarker("x\n## DONE  \r\n"));
  EXPECT_FALSE(HasDoneMarker("x\nwhen finished, add ## DONE\n"));
  EXPECT_FALSE(HasDoneMarker("### DONE\n"));
  EXPECT_FALSE(HasDoneMarker("## DONE-ish\n"));
}

TEST_F(PlanGitTest, PlanMdAloneIsTheOnlyPhase) {
  EXPECT_EQ(PhaseFiles({"plan.md", "notes.txt"}), std::vector<std::string>{"plan.md"});
  EXPECT_EQ(PhaseFiles({"plan.md", "02-b.md", "01-a.md", "README"}),
            (std::vector<std::string>{"01-a.md", "02-b.md"}));
}

TEST_F(PlanGitTest, ProgressStampMovesWithCommitsAndJournal) {
  GitRepoProbe probe(repo_, "plans", "main");
  std::string a = *probe.ProgressStamp();
  WriteFile(repo_ + "/JOURNAL.md", "# Journal\n\n## 2026-11-25 builder\nstarted\n");
  std::string b = *probe.ProgressStamp();
  EXPECT_NE(a, b);
  WriteFile(repo_ + "/src.txt", "x");
  Commit("work");
  EXPECT_NE(b, *probe.ProgressStamp());
}

TEST_F(PlanGitTest, UnreadableRefIsAnErrorNotDone) {
  GitRepoProbe probe(repo_, "plans", "no-such-branch");
  EXPECT_FALSE(probe.ReadPlan().ok());
}

TEST_F(PlanGitTest, WatchdogExitsWhenTheLastPhaseIsDoneOnMain) {
  std::filesystem::create_directories(repo_ + "/prompts");
  WriteFile(repo_ + "/prompts/builder.md", "Build.\n");
  SupervisorConfig config = *LoadConfig(repo_, "", {});
  StateStore store(dir_.File("state"));
  config.state_dir = store.dir();
  ASSERT_TRUE(store.Init().ok());
  ASSERT_TRUE(store.WriteWant("builder", true).ok());
  ccci::testing::FakeClock clock;
  testing::FakeLauncher launcher;
  GitRepoProbe probe(repo_, "plans", "main");
  Watchdog wd(config, &clock, &launcher, &probe, &store, [] { return 0.5; }, {});
  EXPECT_EQ(wd.Tick(), Watchdog::Outcome::kContinue);
  EXPECT_EQ(wd.info().phase_file, "plans/01-intake.md");
  MarkDone("plans/01-intake.md");
  MarkDone("plans/02-runner.md");
  Commit("all done");
  clock.Advance(std::chrono::seconds(30));
  EXPECT_EQ(wd.Tick(), Watchdog::Outcome::kAllDone);
  EXPECT_EQ(wd.loop("builder").phase, LoopPhase::kDone);
  EXPECT_EQ(launcher.stopped.size(), 1u);
}

TEST(JournalTest, LastEntryIsTheLastSection) {
  std::string j =
      "# JOURNAL\nFormat: one `## ` entry per handover.\n\n## 2026-11-24 builder\nold\n\n"
      "## 2026-11-25 reviewer\nre-opened item 3\nsee tests\n\n";
  EXPECT_EQ(LastJournalEntry(j), "## 2026-11-25 reviewer\nre-opened item 3\nsee tests\n");
  EXPECT_EQ(LastJournalEntry("no entries\n"), "");
  EXPECT_EQ(LastJournalEntry("## a\n1\n2\n3\n", 2), "## a\n1\n...\n");
}

TEST(JournalTest, CreatedWithItsFormatButNeverOverwritten) {
  TempDir dir;
  ASSERT_TRUE(EnsureJournal(dir.path()).ok());
  std::string text = ccci::testing::ReadFileOrDie(dir.File("JOURNAL.md"));
  EXPECT_EQ(text, kJournalHeader);
  EXPECT_EQ(LastJournalEntry(text), "") << "the header must not look like an entry";
  WriteFile(dir.File("JOURNAL.md"), "mine\n");
  ASSERT_TRUE(EnsureJournal(dir.path()).ok());
  EXPECT_EQ(ccci::testing::ReadFileOrDie(dir.File("JOURNAL.md")), "mine\n");
}

}  // namespace
}  // namespace ccci::supervisor
