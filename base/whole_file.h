#pragma once
// A small file's bytes in one read (a screenshot, a report), and a small file written whole.

#include <string>

#include "base/status.h"

namespace ccci {

// The file's bytes, or empty when it cannot be read.
std::string ReadWholeFile(const std::string& path);

// Writes `text` to a temp file beside `path`, fsyncs it and renames it over `path`: a reader
// finds the old file or the new one, whole, never a part of either.
Status WriteFileAtomically(const std::string& path, const std::string& text);

}  // namespace ccci
