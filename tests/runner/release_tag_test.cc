#include "bot/runner/release_tag.h"

#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "tests/fakes/fake_executor.h"

namespace ccci::runner {
namespace {

std::vector<std::string> TagsFromFile(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::string> tags;
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream ls(line);
    std::string name;
    if (ls >> name) tags.push_back(name);
  }
  return tags;
}

TEST(ReleaseTag, Parses) {
  auto t = ParseReleaseTag("2.0.1+1.0.6-social-amd64");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->major, 2);
  EXPECT_EQ(t->minor, 0);
  EXPECT_EQ(t->patch, 1);
  EXPECT_EQ(t->upstream, "1.0.6-social-amd64");
  EXPECT_TRUE(ParseReleaseTag("10.2.3"));
  EXPECT_FALSE(ParseReleaseTag("v2.4.8"));
  EXPECT_FALSE(ParseReleaseTag("1.2"));
  EXPECT_FALSE(ParseReleaseTag("1.2.3+"));
  EXPECT_FALSE(ParseReleaseTag("1.2.3-rc1"));
}

TEST(ReleaseTag, OrdersNumerically) {
  EXPECT_TRUE(ReleaseLess(*ParseReleaseTag("2.9.0+a"), *ParseReleaseTag("2.10.0+a")));
  EXPECT_FALSE(ReleaseLess(*ParseReleaseTag("1.0.0+b"), *ParseReleaseTag("1.0.0+a")));
}

TEST(ReleaseTag, PreviousReleaseOnBonfireTags) {
  auto tags = TagsFromFile(std::string(CCCI_SHARED_DIR) + "/recipes/bonfire/TAGS.txt");
  ASSERT_GE(tags.size(), 3u);
  auto prev = PreviousRelease(tags, ParseReleaseTag("2.0.1+1.0.6-social-amd64"));
  ASSERT_TRUE(prev);
  EXPECT_EQ(prev->raw, "2.0.0+1.0.5-social-amd64");
  auto newest = PreviousRelease(tags, std::nullopt);
  ASSERT_TRUE(newest);
  EXPECT_FALSE(PreviousRelease(tags, ParseReleaseTag("0.1.0")));
}

TEST(ReleaseTag, TraefikOldTagsAreNotReleases) {
  auto tags = TagsFromFile(std::string(CCCI_SHARED_DIR) + "/recipes/traefik/TAGS.txt");
  ASSERT_FALSE(tags.empty());
  for (const auto& t : tags) {
    if (t[0] == 'v') {
      EXPECT_FALSE(ParseReleaseTag(t)) << t;
    }
  }
}

TEST(FakeExecutor, AnswersFromRulesAndRecordsCalls) {
  testing::FakeExecutor fake;
  testing::FakeExecutor::Rule rule;
  rule.argv_prefix = {"abra", "app", "deploy"};
  rule.result.exit_code = 1;
  rule.output = "deploy failed";
  fake.AddRule(rule);
  struct Sink : OutputSink {
    void Write(std::string_view c) override { out.append(c); }
    std::string out;
  } sink;
  CancelToken cancel;
  Command deploy;
  deploy.argv = {"abra", "app", "deploy", "x.example"};
  auto r = fake.Run(deploy, sink, cancel);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 1);
  EXPECT_EQ(sink.out, "deploy failed");
  Command ls;
  ls.argv = {"abra", "app", "ls"};
  auto r2 = fake.Run(ls, sink, cancel);
  ASSERT_TRUE(r2.ok());
  EXPECT_TRUE(r2->ok());
  EXPECT_EQ(fake.calls().size(), 2u);
}

// What git prints through the runner's pty (CR LF line ends): the head's own release and the
// one before it.
TEST(ReleaseTag, ReleasesFromGitAnswers) {
  const char* tags = "1.0.0+1.0.5-social-amd64\r\n2.0.0+1.0.5-social-amd64\r\n"
                     "2.0.1+1.0.6-social-amd64\r\nv0.1\r\n";
  ReleasesAtHead tagged = ReleasesFromGit(tags, "2.0.1+1.0.6-social-amd64\r\n");
  ASSERT_TRUE(tagged.head.has_value());
  EXPECT_EQ(tagged.head->raw, "2.0.1+1.0.6-social-amd64");
  ASSERT_TRUE(tagged.previous.has_value());
  EXPECT_EQ(tagged.previous->raw, "2.0.0+1.0.5-social-amd64");
  ReleasesAtHead untagged = ReleasesFromGit(tags, "");
  EXPECT_FALSE(untagged.head.has_value());
  EXPECT_EQ(untagged.previous->raw, "2.0.1+1.0.6-social-amd64");
  EXPECT_FALSE(ReleasesFromGit("v2.4.8\n", "").previous.has_value());
}

}  // namespace
}  // namespace ccci::runner
