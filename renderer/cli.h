#pragma once
// `cc-ci render ...` and `cc-ci screenshot ...`: images from the command line, for operators
// and maintainers.

namespace ccci::render {

// argv[0] is "render". Returns the exit code: 0 done, 1 failed, 2 bad usage.
int RunRenderCommand(int argc, char** argv);

// argv[0] is "screenshot": `screenshot URL --out FILE.png [--timeout SECONDS]`. Same exit codes.
int RunScreenshotCommand(int argc, char** argv);

}  // namespace ccci::render
