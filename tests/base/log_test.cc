#include "base/log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ccci {
namespace {

TEST(LogTest, FormatsLogfmtWithStableFields) {
  std::string line = FormatLogLine("T", LogLevel::kInfo, "delivery.accepted",
                                   {{"delivery", "abc"}, {"repo", "o/r"}, {"pr", 17}});
  EXPECT_EQ(line, "ts=T level=info event=delivery.accepted delivery=abc repo=o/r pr=17");
}

TEST(LogTest, QuotesValuesSoALineStaysOneLine) {
  std::string line =
      FormatLogLine("T", LogLevel::kWarn, "x", {{"reason", "bad \"json\"\nline 2"}, {"e", ""}});
  EXPECT_EQ(line, "ts=T level=warn event=x reason=\"bad \\\"json\\\"\\nline 2\" e=\"\"");
}

// A line carried `event` twice (`event=run.queued ... event=pull_request`): log tools keep
// only one of them.
TEST(LogTest, DuplicateKeysAreRenamedNotRepeated) {
  std::string line = FormatLogLine("T", LogLevel::kInfo, "run.queued",
                                   {{"event", "pull_request"}, {"run", 2}, {"run", 3},
                                    {"level", "5"}, {"run_2", "x"}});
  EXPECT_EQ(line,
            "ts=T level=info event=run.queued event_2=pull_request run=2 run_2=3 level_2=5 "
            "run_2_2=x");
}

TEST(LogTest, SinkReceivesLinesAtOrAboveLevel) {
  std::vector<std::string> lines;
  SetLogSink([&](const std::string& l) { lines.push_back(l); });
  SetLogLevel(LogLevel::kWarn);
  LogInfo("dropped");
  LogWarn("kept", {{"run", 3}});
  SetLogLevel(LogLevel::kInfo);
  SetLogSink(nullptr);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("event=kept run=3"), std::string::npos);
}

}  // namespace
}  // namespace ccci
