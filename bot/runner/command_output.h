#pragma once
// Reading what a command printed under a pseudo-terminal: without its colours and cursor
// moves, and its last line (the one that says why it failed).

#include <string>

namespace ccci::runner {

// Removes ANSI escape sequences (colours, cursor moves).
std::string StripAnsi(const std::string& in);

// The last non-blank line, at most 200 characters (then "...").
std::string LastLine(const std::string& text);

}  // namespace ccci::runner
