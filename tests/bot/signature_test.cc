#include "bot/intake/signature.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "base/sha256.h"
#include "tests/fakes/test_files.h"

namespace ccci {
namespace {

using testing::ReadShared;

// The signatures shared/gitea/README.md documents for secret `test-secret`.
struct Signed {
  const char* file;
  const char* sig;
};
const Signed kSigned[] = {
    {"pull_request_opened.json", "a5a37fc9d058ffa13e10b1542e5e557c3d23c047f0bc8b4966b9a246d2e470cf"},
    {"pull_request_synchronized.json",
     "44d1d000e33ede821e922ba3ad77f480dd0de3ebd1aef354f9fa1b42f043ed72"},
    {"issue_comment_created_on_pr.json",
     "210ba5b3500e6755a59e8a9b881e9dbbf838e5bd193fe2b21845cfd2866ad297"},
    {"issue_comment_created_on_issue.json",
     "5412dfd3fe846717aaa9d2fa20e22fb859b1d1157d8ec25465e596f0562b8fa4"},
};

TEST(SignatureTest, MatchesGiteaDocumentedSignatures) {
  for (const Signed& s : kSigned) {
    std::string body = ReadShared(std::string("gitea/payloads/") + s.file);
    EXPECT_EQ(HmacSha256Hex("test-secret", body), s.sig) << s.file;
    SignatureVerifier v({"test-secret"});
    EXPECT_TRUE(v.Verify(body, s.sig, "")) << s.file;
    EXPECT_TRUE(v.Verify(body, "", std::string("sha256=") + s.sig)) << s.file;
  }
}

TEST(SignatureTest, RejectsForgeries) {
  std::string body = ReadShared("gitea/payloads/pull_request_opened.json");
  std::string good = kSigned[0].sig;
  SignatureVerifier v({"test-secret"});
  EXPECT_FALSE(v.Verify(body, "", ""));
  EXPECT_FALSE(v.Verify(body + " ", good, ""));                 // body changed by one byte
  EXPECT_FALSE(v.Verify(body, good.substr(0, 63), ""));          // truncated
  EXPECT_FALSE(v.Verify(body, good + "0", ""));                  // too long
  EXPECT_FALSE(v.Verify(body, "", good));                        // hub header without prefix
  EXPECT_FALSE(v.Verify(body, "", "sha1=" + good));
  std::string flipped = good;
  flipped[10] = flipped[10] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(v.Verify(body, flipped, ""));
  EXPECT_FALSE(SignatureVerifier({"other-secret"}).Verify(body, good, ""));
  EXPECT_FALSE(SignatureVerifier({}).Verify(body, good, ""));
  EXPECT_FALSE(SignatureVerifier({""}).Verify(body, HmacSha256Hex("", body), ""));
}

TEST(SignatureTest, AcceptsUpperCaseHex) {
  std::string body = ReadShared("gitea/payloads/pull_request_opened.json");
  std::string upper = kSigned[0].sig;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  EXPECT_TRUE(SignatureVerifier({"test-secret"}).Verify(body, upper, ""));
}

TEST(SignatureTest, AnyOfSeveralSecretsDuringRotation) {
  std::string body = "{\"x\":1}";
  SignatureVerifier v({"old-secret", "new-secret"});
  EXPECT_TRUE(v.Verify(body, HmacSha256Hex("old-secret", body), ""));
  EXPECT_TRUE(v.Verify(body, HmacSha256Hex("new-secret", body), ""));
  EXPECT_FALSE(v.Verify(body, HmacSha256Hex("gone-secret", body), ""));
}

// The body's fingerprint (Delivery::body_digest) is the first secret's HMAC, whichever secret
// signed it, so a replay signed under the other secret of a rotation is still recognised.
TEST(SignatureTest, TheDigestIsTheFirstSecretsHmacWhicheverSecretSigned) {
  std::string body = "{\"x\":1}";
  SignatureVerifier v({"", "old-secret", "new-secret"});  // an empty secret is skipped
  std::string digest = "untouched";
  ASSERT_TRUE(v.Verify(body, HmacSha256Hex("new-secret", body), "", &digest));
  EXPECT_EQ(digest, HmacSha256Hex("old-secret", body));
  digest = "untouched";
  ASSERT_TRUE(v.Verify(body, "", "sha256=" + HmacSha256Hex("old-secret", body), &digest));
  EXPECT_EQ(digest, HmacSha256Hex("old-secret", body));
  digest = "untouched";
  EXPECT_FALSE(v.Verify(body, HmacSha256Hex("gone-secret", body), "", &digest));
  EXPECT_EQ(digest, "untouched");  // nothing about a forged body is kept
}

TEST(SignatureTest, Sha256Hex) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace ccci
