#pragma once
// The `!cc-ci` chat-ops grammar (DESIGN.md "Chat-ops"): a command is a whole line that
// starts with `!cc-ci` (any case, up to three leading spaces), outside fenced code blocks
// (``` or ~~~), indented code (four spaces or a tab) and `>` quotes. The word after it names
// the command; anything unknown, or nothing, asks for help.

#include <string>
#include <vector>

namespace ccci {

enum class CommandKind { kRetest, kCancel, kHelp, kOkToTest, kUnknown };

struct ChatCommand {
  CommandKind kind = CommandKind::kUnknown;
  std::string word;  // the command word as written, lower-cased ("retest", "retset", "")
  std::string line;  // the whole line, trimmed
};

// A comment's commands after the first this many are not read: a comment of 20,000
// `!cc-ci <word>` lines is ten commands, not 20,000.
inline constexpr size_t kMaxCommandsPerComment = 10;

// The commands in `body`, in order, each kind at most once (a repeated `!cc-ci retest`
// is one request), at most kMaxCommandsPerComment. Pure; never throws.
std::vector<ChatCommand> ParseCommands(const std::string& body);

const char* CommandName(CommandKind kind);  // "retest", "cancel", "help", "ok-to-test", "unknown"

// The reply to `!cc-ci help` and to unknown commands (Markdown).
std::string HelpText();

}  // namespace ccci
