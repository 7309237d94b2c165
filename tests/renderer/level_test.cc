#include "domain/level.h"

#include <gtest/gtest.h>

namespace ccci::render {
namespace {

constexpr domain::StageStatus P = domain::StageStatus::kPass, F = domain::StageStatus::kFail,
                              S = domain::StageStatus::kSkip, U = domain::StageStatus::kUnverified,
                              E = domain::StageStatus::kError, K = domain::StageStatus::kFlaky;

domain::StageResult St(const char* name, domain::StageStatus s, bool intentional = true) {
  domain::StageResult r;
  r.name = name;
  r.status = s;
  r.intentional = intentional;
  return r;
}

// install, upgrade, backup, restore, functional, lint.
std::vector<domain::StageResult> Stages(domain::StageStatus i, domain::StageStatus u,
                                        domain::StageStatus b, domain::StageStatus r,
                                        domain::StageStatus f, domain::StageStatus l) {
  return {St("install", i), St("upgrade", u),    St("backup", b),   St("restore", r),
          St("functional", f), St("lint", l), St("screenshot", F), St("teardown", E)};
}

// The same, with the rungs above lint: upgrade-safe, clean, maintained.
std::vector<domain::StageResult> Stages8(domain::StageStatus i, domain::StageStatus u,
                                         domain::StageStatus b, domain::StageStatus r,
                                         domain::StageStatus f, domain::StageStatus l,
                                         domain::StageStatus us, domain::StageStatus c,
                                         domain::StageStatus m) {
  auto out = Stages(i, u, b, r, f, l);
  out.push_back(St("upgrade-safe", us));
  out.push_back(St("clean", c));
  out.push_back(St("maintained", m));
  return out;
}

struct Case {
  const char* name;
  std::vector<domain::StageResult> stages;
  bool ci_error;
  int level;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class LevelTest : public ::testing::TestWithParam<Case> {};

TEST_P(LevelTest, Computes) {
  const Case& c = GetParam();
  domain::LevelResult r = domain::ComputeLevel(c.stages);
  EXPECT_EQ(r.ci_error, c.ci_error);
  if (!c.ci_error) {
    EXPECT_EQ(r.level, c.level);
  }
}

const Case kCases[] = {
    {"all_pass", Stages(P, P, P, P, P, P), false, 5},
    {"install_fail", Stages(F, P, P, P, P, P), false, 0},
    {"install_error_is_ci_error", Stages(E, S, S, S, S, S), true, 0},
    {"install_unverified_is_0", Stages(U, P, P, P, P, P), false, 0},
    {"install_skip_is_0", Stages(S, P, P, P, P, P), false, 0},
    {"upgrade_fail", Stages(P, F, P, P, P, P), false, 1},
    {"upgrade_skip_structural", Stages(P, S, P, P, P, P), false, 5},
    {"backup_fail", Stages(P, P, F, P, P, P), false, 2},
    {"restore_fail", Stages(P, P, P, F, P, P), false, 2},
    {"backup_restore_skipped", Stages(P, P, S, S, P, P), false, 5},
    {"functional_unverified", Stages(P, P, P, P, U, P), false, 3},
    {"functional_skipped_lint_fail", Stages(P, P, P, P, S, F), false, 4},
    {"lint_error", Stages(P, P, P, P, P, E), false, 4},
    {"upgrade_error_stops_ladder", Stages(P, E, P, P, P, P), false, 1},
    {"pass_above_failed_rung_not_counted", Stages(P, F, P, P, P, P), false, 1},
    {"only_install", {St("install", P)}, false, 1},
    {"flaky_install_counts_as_passed", Stages(K, P, P, P, P, P), false, 5},
    {"flaky_restore_counts_as_passed", Stages(P, P, P, K, P, P), false, 5},
    {"flaky_below_a_fail", Stages(P, K, F, P, P, P), false, 2},
    {"nothing_recorded", {}, false, 0},
    {"all_eight_pass", Stages8(P, P, P, P, P, P, P, P, P), false, 8},
    {"upgrade_safe_fail", Stages8(P, P, P, P, P, P, F, P, P), false, 5},
    {"upgrade_safe_skipped_no_release", Stages8(P, S, S, S, S, P, S, P, P), false, 8},
    {"clean_fail", Stages8(P, P, P, P, P, P, P, F, P), false, 6},
    {"maintained_fail", Stages8(P, P, P, P, P, P, P, P, F), false, 7},
    {"maintained_unverified", Stages8(P, P, P, P, P, P, P, P, U), false, 7},
    {"clean_error_is_not_ci_error", Stages8(P, P, P, P, P, P, P, E, P), false, 6},
    {"lint_fail_stops_below_new_rungs", Stages8(P, P, P, P, P, F, P, P, P), false, 4},
    {"non_intentional_skip_stops",
     {St("install", P), St("upgrade", S, false), St("backup", P), St("restore", P)},
     false,
     1},
};

INSTANTIATE_TEST_SUITE_P(Ladder, LevelTest, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(LevelRungsTest, ARungWithAFlakyStageIsShownFlakyAndCounted) {
  domain::LevelResult r = domain::ComputeLevel(Stages(P, P, P, K, P, P));
  EXPECT_EQ(r.rungs[2].status, K) << "restore was flaky, backup passed";
  EXPECT_TRUE(r.rungs[2].counted);
  EXPECT_STREQ(domain::StageStatusName(K), "flaky");
  domain::StageStatus parsed = P;
  EXPECT_TRUE(domain::ParseStageStatus("flaky", &parsed));
  EXPECT_EQ(parsed, K);
}

TEST(LevelRungsTest, PassAboveAFailedRungIsShownNotCounted) {
  domain::LevelResult r = domain::ComputeLevel(Stages(P, F, P, P, P, P));
  EXPECT_EQ(r.level, 1);
  EXPECT_TRUE(r.rungs[0].counted);
  EXPECT_EQ(r.rungs[1].status, F);
  EXPECT_FALSE(r.rungs[1].counted);
  EXPECT_EQ(r.rungs[2].status, P);
  EXPECT_TRUE(r.rungs[2].present);
  EXPECT_FALSE(r.rungs[2].counted);
}

TEST(LevelRungsTest, BackupAndRestoreCombineWorstFirst) {
  domain::LevelResult r = domain::ComputeLevel(Stages(P, P, P, U, P, P));
  EXPECT_EQ(r.rungs[2].status, U);
  EXPECT_STREQ(r.rungs[2].name, "backup+restore");
  EXPECT_EQ(r.level, 2);
}

TEST(LevelRungsTest, TheNewRungsHaveTheirStageNames) {
  EXPECT_EQ(domain::RungOfStage("upgrade-safe"), 6);
  EXPECT_EQ(domain::RungOfStage("clean"), 7);
  EXPECT_EQ(domain::RungOfStage("maintained"), 8);
  domain::LevelResult r = domain::ComputeLevel(Stages8(P, P, P, P, P, P, P, F, P));
  EXPECT_STREQ(r.rungs[5].name, "upgrade-safe");
  EXPECT_STREQ(r.rungs[6].name, "clean");
  EXPECT_STREQ(r.rungs[7].name, "maintained");
  EXPECT_TRUE(r.rungs[7].present);
  EXPECT_FALSE(r.rungs[7].counted) << "a pass above the failed clean rung is not counted";
}

// DESIGN.md's table: the 0-5 colours stay, 6-8 continue the scale; anything else is grey.
TEST(LevelColorTest, EveryLevelHasDesignsColour) {
  const char* kDesign[] = {"#e05d44", "#fe7d37", "#dfb317", "#a4a61d", "#97ca00",
                           "#44cc11", "#2ea043", "#238636", "#196c2e"};
  for (int level = 0; level <= domain::kMaxLevel; ++level) {
    EXPECT_EQ(domain::LevelColor(level), kDesign[level]) << level;
  }
  EXPECT_EQ(domain::LevelColor(-1), "#9f9f9f");
  EXPECT_EQ(domain::LevelColor(domain::kMaxLevel + 1), "#9f9f9f");
}

TEST(LevelRungsTest, StatusNamesRoundTrip) {
  for (domain::StageStatus s :
       {P, F, S, U, E, domain::StageStatus::kPending, domain::StageStatus::kRunning}) {
    domain::StageStatus back;
    ASSERT_TRUE(domain::ParseStageStatus(domain::StageStatusName(s), &back));
    EXPECT_EQ(back, s);
  }
  domain::StageStatus x;
  EXPECT_FALSE(domain::ParseStageStatus("passed", &x));
}

}  // namespace
}  // namespace ccci::render
