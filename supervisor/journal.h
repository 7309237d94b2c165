#pragma once
// JOURNAL.md: the handover log the loops and the orchestrator append to (one `## ` entry per
// session; the format is in the file's own header, which the supervisor writes when it creates it).

#include <string>

#include "base/status.h"

namespace ccci::supervisor {

extern const char kJournalHeader[];

// Creates <repo>/JOURNAL.md with kJournalHeader when it does not exist. Never overwrites.
Status EnsureJournal(const std::string& repo);

// The last `## ` section of the journal, at most `max_lines` lines; "" when there is none.
std::string LastJournalEntry(const std::string& journal_text, size_t max_lines = 12);

}  // namespace ccci::supervisor
