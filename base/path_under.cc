#include "base/path_under.h"

namespace ccci {

Result<std::string> PathUnder(const std::string& root, std::string_view relative) {
  auto refuse = [&](const char* why) {
    std::string shown(relative.substr(0, 80));
    for (char& c : shown) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    }
    return InvalidArgument("'" + shown + "' is not a path under " + root + ": " + why);
  };
  if (relative.empty()) return refuse("it is empty");
  if (relative.front() == '/') return refuse("it is absolute");
  size_t pos = 0;
  while (pos <= relative.size()) {
    size_t end = relative.find('/', pos);
    if (end == std::string_view::npos) end = relative.size();
    std::string_view part = relative.substr(pos, end - pos);
    if (part.empty() || part == "." || part == "..") return refuse("it has an empty, . or .. part");
    for (char c : part) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
        return refuse("it has a control character");
    }
    pos = end + 1;
  }
  return root + "/" + std::string(relative);
}

}  // namespace ccci
