// The facts rungs 7 and 8 judge by: what docker says of the stack's tasks and containers, how
// old the newest release is, and the README's metadata block and scores, on the real recipes
// in ../shared/recipes.
#include <gtest/gtest.h>

#include "bot/runner/readme_metadata.h"
#include "bot/runner/readme_scores.h"
#include "bot/runner/release_age.h"
#include "bot/runner/runtime_flags.h"
#include "tests/fakes/test_files.h"

namespace ccci::runner {
namespace {

using ccci::testing::ReadShared;

std::string Task(const std::string& name, const std::string& desired, const std::string& current,
                 const std::string& error) {
  return "{\"CurrentState\":\"" + current + "\",\"DesiredState\":\"" + desired + "\",\"Error\":\"" +
         error + "\",\"ID\":\"t" + std::to_string(name.size()) +
         "\",\"Image\":\"x:1\",\"Name\":\"" + name + "\",\"Node\":\"n1\",\"Ports\":\"\"}\n";
}

struct FlagCase {
  const char* name;
  std::string ps;
  std::vector<std::string> flags;
};

TEST(RuntimeFlags, TasksThatFailedOrRestarted) {
  const FlagCase cases[] = {
      {"healthy", Task("s_app.1", "Running", "Running 2 minutes ago", ""), {}},
      {"redeployed_by_the_suite",
       Task("s_app.1", "Running", "Running 1 minute ago", "") +
           Task("s_app.1", "Shutdown", "Shutdown 2 minutes ago", ""),
       {}},
      {"crashed_and_restarted",
       Task("s_app.1", "Running", "Running 1 minute ago", "") +
           Task("s_app.1", "Shutdown", "Failed 2 minutes ago", "\\\"task: non-zero exit (1)\\\""),
       {"task s_app.1 failed: task: non-zero exit (1)"}},
      {"exited_zero_and_restarted",
       Task("s_db.1", "Running", "Running 1 minute ago", "") +
           Task("s_db.1", "Shutdown", "Complete 2 minutes ago", ""),
       {"task s_db.1 exited and swarm restarted it"}},
      {"rejected",
       Task("s_app.1", "Running", "Rejected 5 seconds ago", "\\\"No such image: x:1\\\""),
       {"task s_app.1 was rejected: No such image: x:1"}},
      {"killed_unhealthy",
       Task("s_app.1", "Shutdown", "Shutdown 1 minute ago",
            "\\\"task: non-zero exit (137): dockerexec: unhealthy container\\\""),
       {"task s_app.1 ended with an error (Shutdown): task: non-zero exit (137): dockerexec: "
        "unhealthy container"}},
  };
  for (const FlagCase& c : cases) {
    auto tasks = ParseStackPs(c.ps);
    ASSERT_TRUE(tasks.ok()) << c.name << ": " << tasks.status().ToString();
    std::vector<std::string> got;
    for (const Finding& f : TaskFlags(*tasks)) got.push_back(FormatFinding(f));
    EXPECT_EQ(got, c.flags) << c.name;
  }
  EXPECT_FALSE(ParseStackPs("nothing found in stack: s\n").ok());
  EXPECT_TRUE(ParseStackPs("").ok());
}

TEST(RuntimeFlags, OomKilledContainers) {
  auto none = OomFlags("\"/s_app.1.abc\" false\r\n\"/s_db.1.def\" false\n");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto one = OomFlags("\"/s_app.1.abc\" false\n\"/s_db.1.def\" true\n");
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ(FormatFinding((*one)[0]), "container s_db.1.def was killed for memory (OOMKilled)");
  EXPECT_FALSE(OomFlags("Error: No such container: x\n").ok());
}

// The real tag dates of bonfire (../shared/recipes/bonfire/TAGS.txt, git's creatordate).
TEST(ReleaseAge, TheNewestReleaseByVersionAndItsDate) {
  const std::string dates =
      "1.0.0+1.0.5-social-amd64 1783506931\n2.0.0+1.0.5-social-amd64 1785851770\n"
      "2.0.1+1.0.6-social-amd64 1785852196\nv0.1-beta 1790000000\nnot a line\n";
  auto tags = ParseTagDates(dates);
  ASSERT_EQ(tags.size(), 4u);
  const int64_t day = 86400;
  ReleaseAge fresh = CheckReleaseAge(tags, 1785852196 + 30 * day, 6);
  EXPECT_TRUE(fresh.fresh) << fresh.reason;
  EXPECT_EQ(fresh.newest, "2.0.1+1.0.6-social-amd64");
  EXPECT_EQ(fresh.reason, "the newest release 2.0.1+1.0.6-social-amd64 is 1.0 months old");
  ReleaseAge stale = CheckReleaseAge(tags, 1785852196 + 200 * day, 6);
  EXPECT_FALSE(stale.fresh);
  EXPECT_EQ(stale.reason,
            "the newest release 2.0.1+1.0.6-social-amd64 is 6.6 months old, more than "
            "levels.maintained_months (6)");
  EXPECT_TRUE(CheckReleaseAge(tags, 1785852196 + 200 * day, 7).fresh);
  ReleaseAge none = CheckReleaseAge(ParseTagDates("v2.4.8 1700000000\n"), 1700000000, 6);
  EXPECT_FALSE(none.fresh);
  EXPECT_EQ(none.reason, "no release yet (no x.y.z+upstream tag)");
}

TEST(ReadmeMetadata, ParsesBonfiresAndTraefiksBlocks) {
  std::string bonfire = ReadShared("recipes/bonfire/README.md");
  auto b = ParseMetadata(bonfire);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->line, 5);
  ASSERT_EQ(b->fields.size(), 8u);
  EXPECT_EQ(b->fields[1].key, "Status");
  EXPECT_EQ(b->fields[1].value, "1, alpha");
  EXPECT_EQ(b->Field("Healthcheck")->value, "");
  EXPECT_EQ(b->Field("Healthcheck")->line, 9);
  auto t = ParseMetadata(ReadShared("recipes/traefik/README.md"));
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->Field("Tests")->value, "❷💛");
  EXPECT_EQ(t->Field("SSO")->value, "? (Keycloak)");
  EXPECT_FALSE(ParseMetadata("# x\n<!-- metadata -->\n* **Status**: 1\n").has_value());
}

TEST(ReadmeMetadata, WritesBackByteForByteExceptTheChangedValues) {
  std::string readme = ReadShared("recipes/bonfire/README.md");
  auto b = ParseMetadata(readme);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(WithMetadataValues(readme, *b, {}), readme);
  std::string out =
      WithMetadataValues(readme, *b, {{"Healthcheck", "Yes"}, {"Tests", "3, cc-ci level 6"}});
  std::string expected = readme;
  expected.replace(expected.find("* **Tests**:"), 12, "* **Tests**: 3, cc-ci level 6");
  expected.replace(expected.find("* **Healthcheck**:"), 18, "* **Healthcheck**: Yes");
  EXPECT_EQ(out, expected);
  // A CRLF README keeps its line ends; a missing field is added after the last one.
  std::string crlf =
      "x\r\n<!-- metadata -->\r\n- **Status**: 2\r\n- **Tests**: 1\r\n<!-- endmetadata -->\r\n";
  auto c = ParseMetadata(crlf);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(WithMetadataValues(crlf, *c, {{"Tests", "2"}, {"Backups", "No"}}),
            "x\r\n<!-- metadata -->\r\n- **Status**: 2\r\n- **Tests**: 2\r\n- **Backups**: No\r\n"
            "<!-- endmetadata -->\r\n");
}

struct ScoreCase {
  const char* name;
  ScoreFacts facts;
  std::map<std::string, std::string> scores;
};

ScoreFacts Facts(bool hc, const char* install, bool label, const char* backup, const char* restore,
                 bool data_check, int level) {
  return {hc, install, label, backup, restore, data_check, level};
}

TEST(ReadmeScores, WhatCcciMeasures) {
  const ScoreCase cases[] = {
      {"all_proven",
       Facts(true, "pass", true, "pass", "pass", true, 8),
       {{"Backups", "Yes"}, {"Healthcheck", "Yes"}, {"Tests", "3, cc-ci level 8"}}},
      {"restore_not_proven_by_a_data_check",
       Facts(true, "pass", true, "pass", "pass", false, 5),
       {{"Healthcheck", "Yes"}, {"Tests", "3, cc-ci level 5"}}},
      {"no_backup_label",
       Facts(true, "pass", false, "skip", "skip", false, 8),
       {{"Backups", "No"}, {"Healthcheck", "Yes"}, {"Tests", "3, cc-ci level 8"}}},
      {"restore_failed",
       Facts(true, "pass", true, "pass", "fail", true, 2),
       {{"Backups", "No"}, {"Healthcheck", "Yes"}, {"Tests", "3, cc-ci level 2"}}},
      {"a_service_without_healthcheck",
       Facts(false, "pass", false, "skip", "skip", false, 6),
       {{"Backups", "No"}, {"Healthcheck", "No"}, {"Tests", "2, cc-ci level 6"}}},
      {"install_failed",
       Facts(true, "fail", true, "unverified", "unverified", true, 0),
       {{"Tests", "0, cc-ci level 0"}}},
  };
  for (const ScoreCase& c : cases) EXPECT_EQ(MeasureScores(c.facts), c.scores) << c.name;
}

TEST(ReadmeScores, AgreementReadsTheMaintainersWriting) {
  EXPECT_TRUE(ScoreAgrees("Healthcheck", "yes", "Yes"));
  EXPECT_TRUE(ScoreAgrees("Healthcheck", "Yes (app only)", "Yes"));
  EXPECT_FALSE(ScoreAgrees("Healthcheck", "", "Yes"));
  EXPECT_FALSE(ScoreAgrees("Backups", "?", "No"));
  EXPECT_TRUE(ScoreAgrees("Tests", "3, cc-ci level 8", "3, cc-ci level 8"));
  EXPECT_FALSE(ScoreAgrees("Tests", "3", "3, cc-ci level 8")) << "the level must be named";
  EXPECT_FALSE(ScoreAgrees("Tests", "3, cc-ci level 7", "3, cc-ci level 8"));
  EXPECT_TRUE(ScoreAgrees("Tests", "❷💛 cc-ci level 4", "2, cc-ci level 4"));
  EXPECT_FALSE(ScoreAgrees("Tests", "❷💛", "3, cc-ci level 5"));
}

TEST(ReadmeScores, TheReportOfTraefiksReadme) {
  std::string readme = ReadShared("recipes/traefik/README.md");
  ScoresReport r = BuildScoresReport(
      readme, {{"Healthcheck", "Yes"}, {"Backups", "No"}, {"Tests", "3, cc-ci level 5"}});
  EXPECT_TRUE(r.has_block);
  ASSERT_EQ(r.differences.size(), 1u) << "Healthcheck: Yes and Backups: No already agree";
  EXPECT_EQ(r.differences[0].key, "Tests");
  EXPECT_EQ(r.differences[0].readme, "❷💛");
  EXPECT_EQ(r.differences[0].line, 14);
  EXPECT_NE(r.measured_block.find("* **Tests**: 3, cc-ci level 5\n"), std::string::npos);
  EXPECT_EQ(r.measured_block.find("<!-- metadata -->"), 0u);
  EXPECT_NE(r.measured_block.find("* **SSO**: ? (Keycloak)"), std::string::npos)
      << "what cc-ci does not measure stays as written";
  auto back = ParseScoresReport(ScoresReportJson(r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->measured, r.measured);
  EXPECT_EQ(back->measured_block, r.measured_block);
  ASSERT_EQ(back->differences.size(), 1u);
  EXPECT_EQ(back->differences[0].line, 14);
  EXPECT_EQ(ReadmeWithScores(readme, r.measured),
            readme.substr(0, readme.find("❷💛")) + "3, cc-ci level 5" +
                readme.substr(readme.find("❷💛") + std::string("❷💛").size()));
  std::string agreed = ReadmeWithScores(readme, r.measured);
  EXPECT_EQ(ReadmeWithScores(agreed, r.measured), agreed) << "nothing left to change";
  EXPECT_FALSE(BuildScoresReport("# no block\n", r.measured).has_block);
}

}  // namespace
}  // namespace ccci::runner
