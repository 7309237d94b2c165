#include "bot/chatops/command_parser.h"

#include <gtest/gtest.h>

namespace ccci {
namespace {

struct Case {
  const char* name;
  const char* body;
  std::vector<CommandKind> want;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class CommandParserTest : public ::testing::TestWithParam<Case> {};

TEST_P(CommandParserTest, Parses) {
  std::vector<CommandKind> got;
  for (const ChatCommand& c : ParseCommands(GetParam().body)) got.push_back(c.kind);
  EXPECT_EQ(got, GetParam().want);
}

using K = CommandKind;
const Case kCases[] = {
    {"retest", "!cc-ci retest", {K::kRetest}},
    {"any_case", "!CC-CI Retest", {K::kRetest}},
    {"trailing_words", "!cc-ci retest please, flaky network", {K::kRetest}},
    {"among_prose", "Looks good.\n\n!cc-ci ok-to-test\nthanks", {K::kOkToTest}},
    {"three_spaces_allowed", "   !cc-ci cancel", {K::kCancel}},
    {"four_spaces_is_code", "    !cc-ci retest", {}},
    {"tab_is_code", "\t!cc-ci retest", {}},
    {"mid_line_is_not_a_command", "please !cc-ci retest", {}},
    {"quote_ignored", "> !cc-ci retest\nI disagree", {}},
    {"fenced_backticks", "```\n!cc-ci retest\n```", {}},
    {"fenced_tildes", "~~~sh\n!cc-ci cancel\n~~~\n!cc-ci retest", {K::kRetest}},
    {"unclosed_fence_swallows_rest", "```\n!cc-ci retest", {}},
    {"longer_fence_needs_longer_close", "````\n```\n!cc-ci retest\n````\n!cc-ci help", {K::kHelp}},
    {"unknown_word", "!cc-ci retset", {K::kUnknown}},
    {"no_word", "!cc-ci", {K::kUnknown}},
    {"glued_prefix_ignored", "!cc-cix retest", {}},
    {"duplicates_coalesce", "!cc-ci retest\n!cc-ci retest", {K::kRetest}},
    {"several_commands", "!cc-ci cancel\n!cc-ci retest", {K::kCancel, K::kRetest}},
    {"crlf_lines", "hi\r\n!cc-ci help\r\n", {K::kHelp}},
    {"empty", "", {}},
    {"at_most_ten_read",
     "!cc-ci a\n!cc-ci b\n!cc-ci c\n!cc-ci d\n!cc-ci e\n!cc-ci f\n!cc-ci g\n!cc-ci h\n"
     "!cc-ci i\n!cc-ci j\n!cc-ci retest",
     std::vector<CommandKind>(10, K::kUnknown)},
};

INSTANTIATE_TEST_SUITE_P(Grammar, CommandParserTest, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(CommandParserTest, KeepsTheWordAndLine) {
  auto c = ParseCommands("  !cc-ci  RETSET now ");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].word, "retset");
  EXPECT_EQ(c[0].line, "!cc-ci  RETSET now");
  EXPECT_STREQ(CommandName(CommandKind::kOkToTest), "ok-to-test");
  EXPECT_NE(HelpText().find("!cc-ci retest"), std::string::npos);
}

}  // namespace
}  // namespace ccci
