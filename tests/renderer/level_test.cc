#include "renderer/level.h"

#include <gtest/gtest.h>

namespace ccci::render {
namespace {

constexpr StageStatus P = StageStatus::kPass, F = StageStatus::kFail, S = StageStatus::kSkip,
                      U = StageStatus::kUnverified, E = StageStatus::kError,
                      K = StageStatus::kFlaky;

StageResult St(const char* name, StageStatus s, bool intentional = true) {
  StageResult r;
  r.name = name;
  r.status = s;
  r.intentional = intentional;
  return r;
}

// install, upgrade, backup, restore, functional, lint.
std::vector<StageResult> Stages(StageStatus i, StageStatus u, StageStatus b, StageStatus r,
                             StageStatus f, StageStatus l) {
  return {St("install", i), St("upgrade", u),    St("backup", b),   St("restore", r),
          St("functional", f), St("lint", l), St("screenshot", F), St("teardown", E)};
}

struct Case {
  const char* name;
  std::vector<StageResult> stages;
  bool ci_error;
  int level;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class LevelTest : public ::testing::TestWithParam<Case> {};

TEST_P(LevelTest, Computes) {
  const Case& c = GetParam();
  LevelResult r = ComputeLevel(c.stages);
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
    {"non_intentional_skip_stops",
     {St("install", P), St("upgrade", S, false), St("backup", P), St("restore", P)},
     false,
     1},
};

INSTANTIATE_TEST_SUITE_P(Ladder, LevelTest, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(LevelRungsTest, ARungWithAFlakyStageIsShownFlakyAndCounted) {
  LevelResult r = ComputeLevel(Stages(P, P, P, K, P, P));
  EXPECT_EQ(r.rungs[2].status, K) << "restore was flaky, backup passed";
  EXPECT_TRUE(r.rungs[2].counted);
  EXPECT_STREQ(StageStatusName(K), "flaky");
  StageStatus parsed = P;
  EXPECT_TRUE(ParseStageStatus("flaky", &parsed));
  EXPECT_EQ(parsed, K);
}

TEST(LevelRungsTest, PassAboveAFailedRungIsShownNotCounted) {
  LevelResult r = ComputeLevel(Stages(P, F, P, P, P, P));
  EXPECT_EQ(r.level, 1);
  EXPECT_TRUE(r.rungs[0].counted);
  EXPECT_EQ(r.rungs[1].status, F);
  EXPECT_FALSE(r.rungs[1].counted);
  EXPECT_EQ(r.rungs[2].status, P);
  EXPECT_TRUE(r.rungs[2].present);
  EXPECT_FALSE(r.rungs[2].counted);
}

TEST(LevelRungsTest, BackupAndRestoreCombineWorstFirst) {
  LevelResult r = ComputeLevel(Stages(P, P, P, U, P, P));
  EXPECT_EQ(r.rungs[2].status, U);
  EXPECT_STREQ(r.rungs[2].name, "backup+restore");
  EXPECT_EQ(r.level, 2);
}

TEST(LevelRungsTest, StatusNamesRoundTrip) {
  for (StageStatus s : {P, F, S, U, E, StageStatus::kPending, StageStatus::kRunning}) {
    StageStatus back;
    ASSERT_TRUE(ParseStageStatus(StageStatusName(s), &back));
    EXPECT_EQ(back, s);
  }
  StageStatus x;
  EXPECT_FALSE(ParseStageStatus("passed", &x));
}

}  // namespace
}  // namespace ccci::render
