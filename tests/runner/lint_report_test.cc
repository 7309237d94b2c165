#include "bot/runner/lint_report.h"

#include "gtest/gtest.h"

namespace ccci::runner {
namespace {

constexpr const char* kTable =
    "┃ REF  ┃ RULE                          ┃ SEVERITY ┃ SATISFIED ┃ SKIPPED ┃ RESOLVE ┃\n"
    "│ R001 │ compose config has expected version │ warn │ ❌ │ ❌ │ fix it │\n"
    "│ R010 │ has published catalogue version │ error │ %s │ %s │ tag it │\n"
    "│ R011 │ traefik routing                │ error    │ ✅        │ ❌      │         │\n";

std::string Table(const char* sat, const char* skip) {
  char buf[1024];
  snprintf(buf, sizeof buf, kTable, sat, skip);
  return buf;
}

TEST(LintReport, FailedErrorRuleFails) {
  auto r = ParseLintOutput(Table("❌", "❌"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->rules.size(), 3u);
  EXPECT_FALSE(r->passed());
  EXPECT_EQ(r->failed_errors(), std::vector<std::string>{"R010"});
}

TEST(LintReport, FailedWarningAndSkippedErrorPass) {
  auto r = ParseLintOutput(Table("❌", "✅"));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->passed());
  auto ascii = ParseLintOutput(
      "| ref | rule | severity | satisfied | skipped | resolve |\n"
      "| R010 | x | error | yes | no | |\n");
  ASSERT_TRUE(ascii.ok());
  EXPECT_TRUE(ascii->passed());
}

// Rung 7 (clean) asks for no failed rule of any severity: the failed warning counts there.
TEST(LintReport, FailedRulesOfAnySeverityForTheCleanRung) {
  auto r = ParseLintOutput(Table("❌", "✅"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->failed_rules(), std::vector<std::string>{"R001 (warn)"});
  auto both = ParseLintOutput(Table("❌", "❌"));
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->failed_rules(), (std::vector<std::string>{"R001 (warn)", "R010 (error)"}));
}

TEST(LintReport, NonTableIsAnError) {
  EXPECT_EQ(ParseLintOutput("FATA unable to find recipe\n").status().code(),
            Code::kInvalidArgument);
}

}  // namespace
}  // namespace ccci::runner
