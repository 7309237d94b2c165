#include "supervisor/stream_event.h"

#include <gtest/gtest.h>

#include "tests/supervisor/fake_launcher.h"

namespace ccci::supervisor {
namespace {

using Kind = StreamEvent::Kind;

TEST(StreamEventTest, InitCarriesTheSessionId) {
  StreamEvent ev = ParseStreamLine(testing::InitLine("2f6c9d1e-aaaa"));
  EXPECT_EQ(ev.kind, Kind::kInit);
  EXPECT_EQ(ev.session_id, "2f6c9d1e-aaaa");
}

TEST(StreamEventTest, ResultSuccessAndError) {
  StreamEvent ok = ParseStreamLine(testing::ResultLine(false));
  EXPECT_EQ(ok.kind, Kind::kResult);
  EXPECT_FALSE(ok.is_error);
  EXPECT_EQ(ok.subtype, "success");
  StreamEvent bad = ParseStreamLine(testing::ResultLine(true));
  EXPECT_TRUE(bad.is_error);
  EXPECT_EQ(bad.subtype, "error_during_execution");
}

TEST(StreamEventTest, RateLimitEventFromClaude) {
  // As printed by claude when a Max-plan window is used up (resetsAt in Unix seconds).
  StreamEvent ev = ParseStreamLine(
      R"({"type":"rate_limit_event","rate_limit_info":{"status":"rejected","resetsAt":1778565600,)"
      R"("rateLimitType":"five_hour","overageStatus":"rejected","isUsingOverage":false}})");
  EXPECT_EQ(ev.kind, Kind::kRateLimit);
  EXPECT_TRUE(ev.Blocks());
  ASSERT_TRUE(ev.resets_at_unix.has_value());
  EXPECT_EQ(*ev.resets_at_unix, 1778565600);
  EXPECT_FALSE(ParseStreamLine(testing::RateLimitLine("allowed", 1)).Blocks());
  EXPECT_FALSE(ParseStreamLine(testing::RateLimitLine("allowed_warning", 1)).Blocks());
}

TEST(StreamEventTest, AssistantUserAndText) {
  EXPECT_EQ(ParseStreamLine(testing::AssistantLine("hi")).kind, Kind::kAssistant);
  EXPECT_EQ(ParseStreamLine(R"({"type":"user","message":{"content":[]}})").kind, Kind::kUser);
  EXPECT_EQ(ParseStreamLine("plain opencode output").kind, Kind::kText);
  EXPECT_EQ(ParseStreamLine("{not json").kind, Kind::kText);
  EXPECT_EQ(ParseStreamLine("").kind, Kind::kText);
  EXPECT_EQ(ParseStreamLine(R"({"type":"stream_event"})").kind, Kind::kOtherJson);
}

TEST(StreamEventTest, SummaryIsOneShortLine) {
  EXPECT_EQ(SummarizeLine(testing::AssistantLine("Reading JOURNAL.md")),
            "assistant: Reading JOURNAL.md");
  EXPECT_EQ(SummarizeLine(testing::InitLine("abc")), "init session abc");
  std::string s = SummarizeLine(std::string(500, 'x') + "\n", 120);
  EXPECT_EQ(s.size(), 123u);
  EXPECT_EQ(s.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace ccci::supervisor
