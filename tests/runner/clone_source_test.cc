#include "bot/runner/clone_source.h"

#include <gtest/gtest.h>

namespace ccci::runner {
namespace {

TEST(CloneSources, OnlyTheForgesSchemeAndHostAndTheAllowedPrefixes) {
  CloneSources s("https://git.coopcloud.tech/", {"/srv/mirror", "https://mirror.example/coop/"});
  for (const char* ok : {"https://git.coopcloud.tech/coop-cloud/nextcloud.git",
                         "HTTPS://Git.CoopCloud.Tech/alice/nextcloud.git", "/srv/mirror",
                         "/srv/mirror/nextcloud", "https://mirror.example/coop/x.git"}) {
    EXPECT_TRUE(s.Check(ok).ok()) << ok << ": " << s.Check(ok).message();
  }
  for (const char* bad :
       {"", "/etc", "/srv/mirror2/x", "/srv/mirror/../../etc", "file:///etc", "fd::17",
        "ext::sh -c touch% /tmp/pwned", "https://git.coopcloud.tech@evil.example/x.git",
        "https://user:pw@git.coopcloud.tech/x.git", "http://git.coopcloud.tech/x.git",
        "https://git.coopcloud.tech:8443/x.git", "https://evil.example/x.git",
        "-uhttps://git.coopcloud.tech/x", "https://git.coopcloud.tech/x\n.git",
        "ssh://git@git.coopcloud.tech/x"}) {
    EXPECT_FALSE(s.Check(bad).ok()) << bad;
  }
  EXPECT_EQ(s.Check("fd::17").message(),
            "clone URL 'fd::17' is refused: it is not on the configured forge; allowed: "
            "https://git.coopcloud.tech/ (gitea.url), /srv/mirror, https://mirror.example/coop/");
}

TEST(CloneSources, WithNothingConfiguredNothingIsCloned) {
  CloneSources none;
  EXPECT_EQ(none.Check("https://git.coopcloud.tech/x.git").message(),
            "clone URL 'https://git.coopcloud.tech/x.git' is refused: it is not on the configured "
            "forge; allowed: nothing (set gitea.url)");
}

TEST(CloneSources, GitMayUseItsFileProtocolOnlyForAnAllowedLocalPrefix) {
  EXPECT_EQ(CloneSources("https://g.example", {}).GitProtocols(), "https:http:ssh");
  EXPECT_EQ(CloneSources("https://g.example", {"https://m.example/"}).GitProtocols(),
            "https:http:ssh");
  EXPECT_EQ(CloneSources("", {"/srv/mirror"}).GitProtocols(), "https:http:ssh:file");
  EXPECT_EQ(CloneSources("", {"file:///srv/mirror"}).GitProtocols(), "https:http:ssh:file");
}

TEST(CommitSha, FortyOrSixtyFourLowercaseHexDigits) {
  EXPECT_TRUE(IsCommitSha(std::string(40, 'a')));
  EXPECT_TRUE(IsCommitSha(std::string(64, '0')));
  EXPECT_FALSE(IsCommitSha(std::string(40, 'A')));
  EXPECT_FALSE(IsCommitSha(std::string(41, 'a')));
  EXPECT_FALSE(IsCommitSha("--pathspec-from-file=/etc/passwd"));
}

}  // namespace
}  // namespace ccci::runner
