#include "bot/forge/gitea_client.h"

#include <gtest/gtest.h>

#include "tests/fakes/fake_gitea.h"
#include "tests/fakes/fake_gitea_client.h"

namespace ccci {
namespace {

class GiteaClientTest : public ::testing::Test {
 protected:
  GiteaClientTest() : gitea_("s3cret-token"), client_(Opts()) {}
  GiteaClient::Options Opts() {
    GiteaClient::Options o;
    o.base_url = gitea_.base_url() + "/";
    o.token = "s3cret-token";
    o.timeout = std::chrono::milliseconds(5000);
    o.sleep = [this](std::chrono::milliseconds d) { slept_.push_back(d.count()); };
    return o;
  }
  void TearDown() override { EXPECT_TRUE(gitea_.violations().empty()) << gitea_.violations()[0]; }

  testing::FakeGitea gitea_;
  std::vector<int64_t> slept_;
  GiteaClient client_;
};

TEST_F(GiteaClientTest, CommentsAreCreatedEditedAndListedByIssueNumber) {
  auto id = client_.CreateComment("coop-cloud/nextcloud", 17, "queued <!-- cc-ci:sticky -->");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  ASSERT_TRUE(client_.EditComment("coop-cloud/nextcloud", *id, "finished").ok());
  auto list = client_.ListComments("coop-cloud/nextcloud", 17);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].body, "finished");
  EXPECT_EQ((*list)[0].issue_number, 17);
  EXPECT_EQ((*list)[0].author, "cc-ci");
  auto reqs = gitea_.requests();
  EXPECT_EQ(reqs[0],
            "POST /api/v1/repos/coop-cloud/nextcloud/issues/17/comments "
            "{\"body\":\"queued <!-- cc-ci:sticky -->\"}");
  EXPECT_EQ(reqs[1].rfind("PATCH /api/v1/repos/coop-cloud/nextcloud/issues/comments/", 0), 0u);
}

TEST_F(GiteaClientTest, StatusReactionPermissionAndPull) {
  ASSERT_TRUE(client_
                  .CreateStatus("o/r", "c3a1f7e9",
                                {"pending", "http://ci/runs/1", "queued", "cc-ci/recipe"})
                  .ok());
  EXPECT_EQ(gitea_.statuses().at(0).context, "cc-ci/recipe");
  gitea_.AddComment(17, "bob", "!cc-ci retest");
  ASSERT_TRUE(client_.AddReaction("o/r", gitea_.comments()[0].id, "eyes").ok());
  EXPECT_EQ(gitea_.reactions().at(0), std::to_string(gitea_.comments()[0].id) + ":eyes");
  gitea_.SetPermission("bob", "write");
  EXPECT_EQ(client_.GetPermission("o/r", "bob").value(), "write");
  EXPECT_EQ(client_.GetPermission("o/r", "mallory").status().code(), Code::kNotFound);
  auto pr = client_.GetPullRequest("coop-cloud/nextcloud", 17);
  ASSERT_TRUE(pr.ok());
  EXPECT_EQ(pr->number, 17);
  EXPECT_FALSE(pr->head_sha.empty());
}

TEST_F(GiteaClientTest, DefaultBranchHeadIsTheRepoAndItsBranch) {
  gitea_.SetDefaultBranch("trunk");
  gitea_.SetBranchHead("trunk", std::string(40, 'a'));
  auto head = client_.GetDefaultBranchHead("coop-cloud/bonfire");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->branch, "trunk");
  EXPECT_EQ(head->sha, std::string(40, 'a'));
  EXPECT_EQ(head->clone_url, gitea_.base_url() + "/coop-cloud/bonfire.git");
  auto reqs = gitea_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0], "GET /api/v1/repos/coop-cloud/bonfire");
  EXPECT_EQ(reqs[1], "GET /api/v1/repos/coop-cloud/bonfire/branches/trunk");
  gitea_.SetDefaultBranch("gone");
  EXPECT_EQ(client_.GetDefaultBranchHead("coop-cloud/bonfire").status().code(), Code::kNotFound);
  gitea_.SetDefaultBranch("trunk");
  gitea_.SetArchived(true);
  EXPECT_EQ(client_.GetDefaultBranchHead("coop-cloud/bonfire").status().code(),
            Code::kFailedPrecondition);
}

TEST_F(GiteaClientTest, IssuesAreOpenedEditedAndClosedByNumber) {
  auto n = client_.CreateIssue("o/r", "cc-ci nightly: level dropped from 5 to 3", "body");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  IssueEdit edit;
  edit.title = "cc-ci nightly: level dropped from 5 to 2";
  ASSERT_TRUE(client_.EditIssue("o/r", *n, edit).ok());
  IssueEdit close;
  close.state = "closed";
  ASSERT_TRUE(client_.EditIssue("o/r", *n, close).ok());
  ASSERT_EQ(gitea_.issues().size(), 1u);
  EXPECT_EQ(gitea_.issues()[0].number, *n);
  EXPECT_EQ(gitea_.issues()[0].title, "cc-ci nightly: level dropped from 5 to 2");
  EXPECT_EQ(gitea_.issues()[0].state, "closed");
  auto reqs = gitea_.requests();
  EXPECT_EQ(reqs[0],
            "POST /api/v1/repos/o/r/issues "
            "{\"title\":\"cc-ci nightly: level dropped from 5 to 3\",\"body\":\"body\"}");
  EXPECT_EQ(reqs[2],
            "PATCH /api/v1/repos/o/r/issues/" + std::to_string(*n) + " {\"state\":\"closed\"}");
  EXPECT_EQ(client_.EditIssue("o/r", 999, close).code(), Code::kNotFound);
}

// Gitea has no idempotency key for issues: a retried POST whose first answer was lost would
// open a second one. CreateIssue sends once; its caller looks before it tries again.
TEST_F(GiteaClientTest, AnIssueIsCreatedOnceEvenWhenItsAnswerIsLost) {
  gitea_.LoseNextAnswer(1, "POST", "/issues");
  auto n = client_.CreateIssue("o/r", "cc-ci nightly: level dropped from 5 to 3", "body");
  EXPECT_EQ(n.status().code(), Code::kUnavailable) << "a 504: retryable, later";
  EXPECT_EQ(gitea_.issues().size(), 1u) << "not sent again";
  EXPECT_TRUE(slept_.empty());
  gitea_.LoseNextAnswer(1, "GET");
  auto open = client_.ListOpenIssues("o/r", "cc-ci");
  ASSERT_TRUE(open.ok()) << "a lookup is retried: " << open.status().ToString();
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ((*open)[0].number, gitea_.issues()[0].number);
  EXPECT_EQ((*open)[0].body, "body");
}

TEST_F(GiteaClientTest, OpenIssuesAreListedByAuthorNewestFirstAndPaged) {
  for (int i = 1; i <= 60; ++i) gitea_.AddIssue("cc-ci", "t" + std::to_string(i), "b");
  gitea_.AddIssue("alice", "hers", "b");
  int64_t closed = gitea_.AddIssue("cc-ci", "closed", "b");
  IssueEdit close;
  close.state = "closed";
  ASSERT_TRUE(client_.EditIssue("o/r", closed, close).ok());
  size_t before = gitea_.requests().size();
  auto mine = client_.ListOpenIssues("o/r", "cc-ci");
  ASSERT_TRUE(mine.ok()) << mine.status().ToString();
  ASSERT_EQ(mine->size(), 60u) << "not alice's, not the closed one";
  EXPECT_EQ(mine->front().title, "t60");
  EXPECT_EQ(mine->back().title, "t1");
  EXPECT_EQ(gitea_.requests().size() - before, 2u) << "50 + 10";
  auto all = client_.ListOpenIssues("o/r", "");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 61u);
  EXPECT_EQ(client_.ListOpenIssues("o/r", "nobody").status().code(), Code::kNotFound)
      << "Gitea's answer for a login it does not know";
}

TEST_F(GiteaClientTest, OpenPullsArePaged) {
  gitea_.AddOpenPulls(120);
  auto pulls = client_.ListOpenPullRequests("o/r");
  ASSERT_TRUE(pulls.ok());
  EXPECT_EQ(pulls->size(), 120u);
  EXPECT_EQ(pulls->back().head_sha, "sha120");
  EXPECT_EQ(gitea_.requests().size(), 3u);  // 50 + 50 + 20
}

TEST_F(GiteaClientTest, ServerErrorsAreRetriedWithGrowingBackoff) {
  gitea_.FailNext(2, 503);
  ASSERT_TRUE(client_.CreateStatus("o/r", "abc", {"success", "", "level 3", "cc-ci/recipe"}).ok());
  EXPECT_EQ(slept_, (std::vector<int64_t>{500, 1000}));
  EXPECT_EQ(gitea_.statuses().size(), 1u);
}

TEST_F(GiteaClientTest, GivesUpAfterMaxAttemptsAsUnavailable) {
  gitea_.FailNext(10, 500);
  Status s = client_.EditComment("o/r", 1, "x");
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_EQ(slept_.size(), 3u);
}

TEST_F(GiteaClientTest, ClientErrorsAreNotRetried) {
  gitea_.FailNext(1, 422);
  Status s = client_.EditComment("o/r", 1, "x");
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_TRUE(slept_.empty());
  EXPECT_EQ(s.message().find("s3cret-token"), std::string::npos);
}

TEST_F(GiteaClientTest, WrongTokenIsUnauthenticated) {
  GiteaClient::Options o = Opts();
  o.token = "wrong";
  GiteaClient bad(o);
  Status s = bad.CreateStatus("o/r", "abc", {"success", "", "", "cc-ci/recipe"});
  EXPECT_EQ(s.code(), Code::kUnauthenticated);
  EXPECT_EQ(s.message().find("wrong"), std::string::npos) << "the token is never in errors";
}

TEST(GiteaClientDownTest, ConnectionRefusedIsRetriedThenUnavailable) {
  std::vector<int64_t> slept;
  GiteaClient::Options o;
  o.base_url = "http://127.0.0.1:1";
  o.token = "t";
  o.sleep = [&](std::chrono::milliseconds d) { slept.push_back(d.count()); };
  GiteaClient c(o);
  Status s = c.CreateStatus("o/r", "abc", {"success", "", "", "cc-ci/recipe"});
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_EQ(slept.size(), 3u);
}

TEST(EscapePathSegmentTest, Escapes) {
  EXPECT_EQ(EscapePathSegment("coop-cloud"), "coop-cloud");
  EXPECT_EQ(EscapePathSegment("a b/c"), "a%20b%2Fc");
}

}  // namespace
}  // namespace ccci

namespace ccci {
namespace {

// The fake's spec check itself must be able to fail, or the clean runs above prove nothing.
TEST(FakeGiteaTest, FlagsRequestsTheSpecDoesNotAllow) {
  testing::FakeGitea g("t");
  auto c = testing::ClientOf(g, "t");
  (void)c->Call("POST", "/repos/o/r/issues/17/comments", "{\"text\":\"no body field\"}");
  (void)c->Call("PUT", "/repos/o/r/statuses/abc", "{\"state\":\"success\"}");
  (void)c->Call("GET", "/repos/o/r/no-such-thing", "");
  (void)c->Call("POST", "/repos/o/r/statuses/abc", "{\"state\":\"flaky\",\"context\":\"cc-ci/x\"}");
  auto v = g.violations();
  ASSERT_EQ(v.size(), 4u);
  EXPECT_NE(v[0].find("missing required field body"), std::string::npos);
  EXPECT_NE(v[1].find("no such path and method"), std::string::npos);
  EXPECT_NE(v[3].find("not one of the schema's values for state: flaky"), std::string::npos)
      << v[3];
}

// Query parameters are checked too: a name or value the spec does not list.
TEST(FakeGiteaTest, FlagsQueryParametersTheSpecDoesNotAllow) {
  testing::FakeGitea g("t");
  auto c = testing::ClientOf(g, "t");
  (void)c->Call("GET", "/repos/o/r/issues?state=open&type=issues&created_by=t&page=1&limit=50", "");
  ASSERT_TRUE(g.violations().empty()) << g.violations()[0];
  (void)c->Call("GET", "/repos/o/r/issues?author=t", "");
  (void)c->Call("GET", "/repos/o/r/issues?state=opened", "");
  (void)c->Call("GET", "/repos/o/r/issues?page=first", "");
  auto v = g.violations();
  ASSERT_EQ(v.size(), 3u);
  EXPECT_NE(v[0].find("query parameter not in the schema: author"), std::string::npos) << v[0];
  EXPECT_NE(v[1].find("values for query parameter state: opened"), std::string::npos) << v[1];
  EXPECT_NE(v[2].find("page is not an integer"), std::string::npos) << v[2];
}

// The contents and pulls API the README scores PR uses, checked against Gitea's swagger.
TEST_F(GiteaClientTest, FilesAreReadAndChangedOnANewBranchAndPullsOpenedAndEdited) {
  std::string readme = "# r\n\xe2\x9d\xb7 not ASCII\n";
  gitea_.SetFile("main", "README.md", readme);
  auto f = client_.GetFile("o/r", "README.md", "main");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->content, readme);
  EXPECT_EQ(f->sha.size(), 40u);
  EXPECT_EQ(client_.GetFile("o/r", "README.md", "nope").status().code(), Code::kNotFound);

  FileChange c;
  c.content = readme + "more\n";
  c.sha = f->sha;
  c.branch = "main";
  c.new_branch = "cc-ci/readme-scores";
  c.force_push = true;
  c.message = "README: scores";
  ASSERT_TRUE(client_.PutFile("o/r", "README.md", c).ok());
  EXPECT_EQ(gitea_.File("cc-ci/readme-scores", "README.md"), c.content);
  EXPECT_EQ(gitea_.File("main", "README.md"), readme) << "the default branch is left alone";
  c.sha = "0000";
  EXPECT_EQ(client_.PutFile("o/r", "README.md", c).code(), Code::kInvalidArgument)
      << "Gitea refuses a change that names another blob (422)";

  auto n = client_.CreatePullRequest("o/r", {"cc-ci/readme-scores", "main", "t", "b"});
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  auto again = client_.CreatePullRequest("o/r", {"cc-ci/readme-scores", "main", "t", "b"});
  EXPECT_EQ(again.status().code(), Code::kFailedPrecondition) << "409: one PR per head and base";
  PullRequestEdit e;
  e.body = "new body";
  ASSERT_TRUE(client_.EditPullRequest("o/r", *n, e).ok());
  auto open = client_.ListOpenPullRequests("o/r");
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ((*open)[0].head_ref, "cc-ci/readme-scores");
  EXPECT_EQ(gitea_.pulls().at(0).body, "new body");
  EXPECT_EQ(gitea_.pulls().at(0).title, "t") << "only the fields given change";
  std::string put;
  for (const std::string& r : gitea_.requests()) {
    if (r.rfind("PUT ", 0) == 0) put = r;
  }
  EXPECT_NE(put.find("\"force_push\":true"), std::string::npos) << put;
  EXPECT_NE(put.find("\"new_branch\":\"cc-ci/readme-scores\""), std::string::npos) << put;
}

}  // namespace
}  // namespace ccci
