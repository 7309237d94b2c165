#pragma once
// The one reply cc-ci posts for a comment's commands, however many the comment holds (a
// comment of 20,000 unknown commands gets one reply, not 20,000). Nothing the commenter wrote
// is echoed except unknown command words: at most kMaxUnknownShown of them, each cut to
// kMaxEchoChars and shown in a code span it cannot close, so a reply never carries the
// commenter's images, links or @mentions under the bot's name.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ccci {

inline constexpr size_t kMaxEchoChars = 32;
inline constexpr size_t kMaxUnknownShown = 5;

// `untrusted` as an inline code span that renders it literally: valid UTF-8, backticks
// turned into ', control characters into U+FFFD, cut to `max_chars` characters.
std::string InlineCode(std::string_view untrusted, size_t max_chars = kMaxEchoChars);

class CommandReply {
 public:
  // `author` is mentioned when it is a Gitea login (it always is from a checked payload).
  explicit CommandReply(std::string author) : author_(std::move(author)) {}

  // A sentence of cc-ci's own ("`!cc-ci cancel` needs write access to o/r; ask a maintainer.").
  void Say(std::string sentence) { sentences_.push_back(std::move(sentence)); }
  // A command word cc-ci does not know (the help text is appended).
  void Unknown(const std::string& word);
  // The help text is appended.
  void Help() { help_ = true; }

  bool empty() const { return sentences_.empty() && unknown_.empty() && !help_; }
  // The reply's Markdown. REQUIRES: !empty().
  std::string Text() const;

 private:
  std::string author_;
  std::vector<std::string> sentences_;
  std::vector<std::string> unknown_;
  bool help_ = false;
};

}  // namespace ccci
