#include "bot/chatops/command_parser.h"

#include <algorithm>
#include <cctype>

namespace ccci {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// Leading spaces (a tab counts as four), as CommonMark measures indentation.
int Indent(const std::string& line) {
  int n = 0;
  for (char c : line) {
    if (c == ' ') n += 1;
    else if (c == '\t') n += 4;
    else break;
  }
  return n;
}

CommandKind KindOf(const std::string& word) {
  if (word == "retest") return CommandKind::kRetest;
  if (word == "cancel") return CommandKind::kCancel;
  if (word == "help") return CommandKind::kHelp;
  if (word == "ok-to-test") return CommandKind::kOkToTest;
  return CommandKind::kUnknown;
}

}  // namespace

const char* CommandName(CommandKind kind) {
  switch (kind) {
    case CommandKind::kRetest: return "retest";
    case CommandKind::kCancel: return "cancel";
    case CommandKind::kHelp: return "help";
    case CommandKind::kOkToTest: return "ok-to-test";
    case CommandKind::kUnknown: return "unknown";
  }
  return "unknown";
}

std::vector<ChatCommand> ParseCommands(const std::string& body) {
  std::vector<ChatCommand> out;
  std::string fence;  // the open fence's marker (``` or ~~~ and longer), empty outside
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t end = body.find('\n', pos);
    if (end == std::string::npos) end = body.size();
    std::string line = body.substr(pos, end - pos);
    pos = end + 1;
    std::string t = Trim(line);
    int indent = Indent(line);
    if (!fence.empty()) {
      // A closing fence is at least as long as the opening one, with nothing after it.
      if (indent < 4 && t.size() >= fence.size() && t.compare(0, fence.size(), fence) == 0 &&
          t.find_first_not_of(fence[0]) == std::string::npos) {
        fence.clear();
      }
      continue;
    }
    if (indent < 4 && (t.rfind("```", 0) == 0 || t.rfind("~~~", 0) == 0)) {
      fence = t.substr(0, t.find_first_not_of(t[0]) == std::string::npos ? t.size()
                                                                         : t.find_first_not_of(t[0]));
      continue;
    }
    if (indent >= 4 || t.empty() || t[0] == '>') continue;
    if (t.size() < 6 || Lower(t.substr(0, 6)) != "!cc-ci") continue;
    if (t.size() > 6 && !std::isspace(static_cast<unsigned char>(t[6]))) continue;  // !cc-cix
    std::string rest = Trim(t.substr(6));
    std::string word = Lower(rest.substr(0, rest.find_first_of(" \t")));
    ChatCommand c{KindOf(word), word, t};
    bool seen = std::any_of(out.begin(), out.end(),
                            [&](const ChatCommand& o) { return o.kind == c.kind && o.word == c.word; });
    if (!seen) out.push_back(c);
    if (out.size() == kMaxCommandsPerComment || pos > body.size()) break;
  }
  return out;
}

std::string HelpText() {
  return "cc-ci understands these commands, each on a line of its own in a new comment:\n\n"
         "| command | what it does | who |\n"
         "|---|---|---|\n"
         "| `!cc-ci retest` | run the suite again on the PR's current head | writers |\n"
         "| `!cc-ci cancel` | stop the PR's queued or running run | writers |\n"
         "| `!cc-ci ok-to-test` | allow runs for a PR from an author without write access | writers |\n"
         "| `!cc-ci help` | this message | anyone |\n\n"
         "Commands inside code blocks or quotes are ignored, and so are edits of old comments.";
}

}  // namespace ccci
