#include "supervisor/journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <vector>

namespace ccci::supervisor {

// No line of the header may start with "## ": that is what marks an entry.
const char kJournalHeader[] =
    "# JOURNAL\n"
    "\n"
    "Handover log of the cc-ci Builder and Reviewer loops and the orchestrator session,\n"
    "created by cc-ci-supervisor.\n"
    "Append one entry per session at the end; never edit or delete earlier entries.\n"
    "An entry starts with a level-2 heading:\n"
    "  `<UTC time> <builder|reviewer|orchestrator> — <phase file> — <one-line summary>`\n"
    "then, for the Builder: Did, Check, State, Next, For the Reviewer;\n"
    "for the Reviewer: Verified, Reopened, Not yet checked, For the Builder;\n"
    "for the Orchestrator: Saw, Steered, Watch next.\n"
    "`cc-ci-supervisor status` shows the last entry. A session that ends without an entry\n"
    "or a commit counts as no progress.\n";

Status EnsureJournal(const std::string& repo) {
  std::string path = repo + "/JOURNAL.md";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST) return Status::Ok();
    return Internal("create " + path + ": " + strerror(errno));
  }
  size_t len = sizeof(kJournalHeader) - 1;
  bool ok = write(fd, kJournalHeader, len) == static_cast<ssize_t>(len);
  close(fd);
  return ok ? Status::Ok() : Internal("write " + path + " failed");
}

std::string LastJournalEntry(const std::string& journal_text, size_t max_lines) {
  std::istringstream in(journal_text);
  std::string line;
  std::vector<std::string> entry;
  bool in_entry = false;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) {
      entry.clear();
      in_entry = true;
    }
    if (in_entry) entry.push_back(line);
  }
  while (!entry.empty() && entry.back().find_first_not_of(" \t\r") == std::string::npos) {
    entry.pop_back();
  }
  std::string out;
  for (size_t i = 0; i < entry.size() && i < max_lines; ++i) out += entry[i] + "\n";
  if (entry.size() > max_lines) out += "...\n";
  return out;
}

}  // namespace ccci::supervisor
