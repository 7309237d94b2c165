#pragma once
// `cc-ci check <recipe-dir-or-git-url> [--ref REF]`: runs the generic suite on a recipe from
// the command line, as the server would on a PR, printing stages as they progress, and
// writes a results JSON that `cc-ci render card` reads.

namespace ccci {

// argv[0] is "check". Returns the process exit code.
int RunCheckCommand(int argc, char** argv);

}  // namespace ccci
