#include "bot/chatops/command_reply.h"

#include "base/utf8.h"
#include "bot/chatops/command_parser.h"
#include "bot/intake/payload_checks.h"

namespace ccci {

std::string InlineCode(std::string_view untrusted, size_t max_chars) {
  std::string valid = ValidUtf8(untrusted);
  std::string safe;
  safe.reserve(valid.size());
  for (char c : valid) {
    if (c == '`') {
      safe += '\'';
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      safe += "\xEF\xBF\xBD";
    } else {
      safe += c;
    }
  }
  return "`" + TruncateUtf8(safe, max_chars) + "`";
}

void CommandReply::Unknown(const std::string& word) {
  help_ = true;
  if (!word.empty()) unknown_.push_back(word);
}

std::string CommandReply::Text() const {
  std::vector<std::string> lines = sentences_;
  if (!unknown_.empty()) {
    std::string list;
    for (size_t i = 0; i < unknown_.size() && i < kMaxUnknownShown; ++i) {
      list += (i == 0 ? "" : ", ") + InlineCode(unknown_[i]);
    }
    if (unknown_.size() > kMaxUnknownShown) list += " and more";
    lines.push_back((unknown_.size() == 1 ? "unknown command " : "unknown commands ") + list + ".");
  }
  std::string who = IsGiteaOwnerName(author_) ? "@" + author_ : InlineCode(author_);
  std::string text;
  if (lines.size() == 1) {
    text = who + ": " + lines[0];
  } else if (!lines.empty()) {
    text = who + ":";
    for (const std::string& l : lines) text += "\n- " + l;
  }
  if (help_) text += (text.empty() ? "" : "\n\n") + HelpText();
  return text;
}

}  // namespace ccci
