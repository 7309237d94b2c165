#pragma once
// What cc-ci accepts as a commit id: the webhook intake refuses any other head, and the runner
// checks it again before git sees it.

#include <string_view>

namespace ccci::domain {

// A full commit id: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits.
bool IsCommitSha(std::string_view s);

}  // namespace ccci::domain
