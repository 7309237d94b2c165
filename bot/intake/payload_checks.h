#pragma once
// What a webhook payload's fields must look like before cc-ci stores them or builds a path, a
// command argument or a reply from them. The rules are Gitea's own where it has them (so no
// genuine delivery is refused), and narrower than git's where that costs nothing.

#include <cstddef>
#include <string_view>

#include "base/status.h"
#include "bot/intake/gitea_event.h"
#include "domain/commit_id.h"

namespace ccci {

using domain::IsCommitSha;  // 40 or 64 lowercase hex digits

// Titles are kept to this many characters (a 1 MB title would bloat every page listing it).
inline constexpr size_t kMaxTitleChars = 256;

// A Gitea user or organisation name (Gitea's IsValidUsername): ASCII letters, digits, '-', '_'
// and '.', starting with a letter or digit, at most 40 characters. Also what a login is.
bool IsGiteaOwnerName(std::string_view s);

// A Gitea repository name (Gitea's IsUsableRepoName): ASCII letters, digits, '-', '_' and '.',
// no "..", not "." or "-", at most 100 characters.
bool IsGiteaRepoName(std::string_view s);

// "owner/name" with both parts as above: what cc-ci keys runs and builds paths with.
bool IsRepoFullName(std::string_view s);

// A branch name as git allows it (git check-ref-format), and no longer than 255 bytes: never
// starts with '-' (it could pass for an option), no control character, space, "..", or any of
// ~^:?*[\ .
bool IsBranchName(std::string_view s);

// A clone URL that can be stored: at most 2048 bytes, no control character or space, not
// starting with '-'. Which hosts a run may clone from is the runner's decision (clone_source.h).
bool IsStorableUrl(std::string_view s);

// Checks every field of `event` that cc-ci uses: InvalidArgument naming the field
// ("pull_request.head.sha: not a commit id ...") for the first that fails.
Status CheckEvent(const GiteaEvent& event);

}  // namespace ccci
