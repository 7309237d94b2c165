#pragma once
// Where a run may clone a recipe from (issue 11.9). A webhook names the clone URL, so it is
// checked before git starts: only the configured forge's scheme and host (gitea.url) and the
// prefixes an operator lists (runner.allowed_clone_urls; a local path or file:// prefix is
// how tests clone local repositories). Local paths, file://, git's transports (ext::, fd::),
// another host and user names or passwords in the URL are refused; and git itself is told
// which protocols it may use (GIT_ALLOW_PROTOCOL), so a redirect or submodule cannot reach
// further.

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "domain/commit_id.h"

namespace ccci::runner {

using domain::IsCommitSha;  // 40 or 64 lowercase hex digits

class CloneSources {
 public:
  CloneSources() = default;  // nothing may be cloned
  // `forge_url` may be empty (no forge configured); `allowed` are URL or path prefixes.
  CloneSources(const std::string& forge_url, std::vector<std::string> allowed);

  // Ok when `url` may be cloned; else InvalidArgument saying why and what is allowed.
  Status Check(const std::string& url) const;
  // The GIT_ALLOW_PROTOCOL value: "https:http:ssh", plus ":file" when an allowed prefix is a
  // local path or a file:// URL.
  std::string GitProtocols() const;

 private:
  std::string forge_scheme_, forge_authority_;  // lower-case; empty without a forge
  std::vector<std::string> allowed_;
};

}  // namespace ccci::runner
