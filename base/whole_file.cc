#include "base/whole_file.h"

#include <fstream>
#include <sstream>

namespace ccci {

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return in ? ss.str() : std::string();
}

}  // namespace ccci
