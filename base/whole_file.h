#pragma once
// A small file's bytes in one read (a screenshot, a report).

#include <string>

namespace ccci {

// The file's bytes, or empty when it cannot be read.
std::string ReadWholeFile(const std::string& path);

}  // namespace ccci
