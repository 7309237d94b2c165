#include "bot/runner/clone_source.h"

#include <algorithm>
#include <cctype>

namespace ccci::runner {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

// scheme://authority/path split; false when `url` has no "scheme://".
bool SplitUrl(std::string_view url, std::string* scheme, std::string* authority) {
  size_t sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) return false;
  *scheme = Lower(url.substr(0, sep));
  std::string_view rest = url.substr(sep + 3);
  *authority = Lower(rest.substr(0, rest.find('/')));
  return true;
}

bool HasDotDotPart(std::string_view url) {
  for (size_t at = url.find(".."); at != std::string_view::npos; at = url.find("..", at + 1)) {
    bool starts = at == 0 || url[at - 1] == '/';
    bool ends = at + 2 == url.size() || url[at + 2] == '/';
    if (starts && ends) return true;
  }
  return false;
}

bool Local(const std::string& prefix) {
  return !prefix.empty() && (prefix[0] == '/' || Lower(prefix).rfind("file://", 0) == 0);
}

}  // namespace

CloneSources::CloneSources(const std::string& forge_url, std::vector<std::string> allowed)
    : allowed_(std::move(allowed)) {
  if (!SplitUrl(forge_url, &forge_scheme_, &forge_authority_)) {
    forge_scheme_.clear();
    forge_authority_.clear();
  }
}

Status CloneSources::Check(const std::string& url) const {
  auto refuse = [&](const std::string& why) {
    std::string allowed =
        forge_scheme_.empty() ? "" : forge_scheme_ + "://" + forge_authority_ + "/ (gitea.url)";
    for (const std::string& a : allowed_) allowed += (allowed.empty() ? "" : ", ") + a;
    return InvalidArgument("clone URL '" + url.substr(0, 200) + "' is refused: " + why +
                           "; allowed: " + (allowed.empty() ? "nothing (set gitea.url)" : allowed));
  };
  if (url.empty()) return refuse("it is empty");
  if (url.front() == '-' || std::any_of(url.begin(), url.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '\\';
      })) {
    return refuse("it has a space, a control character or a backslash, or starts with '-'");
  }
  if (HasDotDotPart(url)) return refuse("it has a '..' part");
  std::string scheme, authority;
  if (SplitUrl(url, &scheme, &authority)) {
    if (authority.find('@') != std::string::npos) return refuse("it names a user");
    if (!forge_scheme_.empty() && scheme == forge_scheme_ && authority == forge_authority_) {
      return Status::Ok();
    }
  }
  for (const std::string& prefix : allowed_) {
    if (prefix.empty() || url.compare(0, prefix.size(), prefix) != 0) continue;
    if (prefix.back() == '/' || url.size() == prefix.size() || url[prefix.size()] == '/') {
      return Status::Ok();
    }
  }
  return refuse("it is not on the configured forge");
}

std::string CloneSources::GitProtocols() const {
  std::string p = "https:http:ssh";
  if (std::any_of(allowed_.begin(), allowed_.end(), Local)) p += ":file";
  return p;
}

}  // namespace ccci::runner
