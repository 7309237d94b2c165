#pragma once
// Paths built from untrusted names (a repository's name from a webhook, a recipe name) stay
// under the directory they are meant for.

#include <string>
#include <string_view>

#include "base/status.h"

namespace ccci {

// `root` + "/" + `relative` when `relative` is a relative path made only of plain names:
// not empty, not absolute, no empty, "." or ".." component, no NUL or control character.
// The result is therefore lexically inside `root`. InvalidArgument (naming `relative`)
// otherwise.
Result<std::string> PathUnder(const std::string& root, std::string_view relative);

}  // namespace ccci
