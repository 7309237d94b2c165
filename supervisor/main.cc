#include <string>
#include <vector>

#include "supervisor/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return ccci::supervisor::RunCli(args);
}
