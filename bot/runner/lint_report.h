#pragma once
// Parses the table `abra recipe lint <recipe>` prints (abra exits 0 even when error rules
// fail). Tolerant of the border style (│, |, ┃) and of yes/no, true/false or ✅/❌ cells:
// a row is any line with a cell like "R001"; columns are located from the header row
// (REF, RULE, SEVERITY, SATISFIED, SKIPPED, RESOLVE; case-insensitive). NOTE: the format was
// written from memory of abra's output, not checked against abra's source.

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace ccci::runner {

struct LintRule {
  std::string ref;       // "R001"
  std::string rule;      // description
  std::string severity;  // "error" / "warn" (lower-cased)
  bool satisfied = false;
  bool skipped = false;
};

struct LintReport {
  std::vector<LintRule> rules;
  // Pass = no error-severity rule that is neither satisfied nor skipped.
  bool passed() const;
  std::vector<std::string> failed_errors() const;  // refs
  // Every rule neither satisfied nor skipped, warnings too (rung 7, clean): "R001 (warn)".
  std::vector<std::string> failed_rules() const;
};

// InvalidArgument when no header or no rule row was found (output is not a lint table).
Result<LintReport> ParseLintOutput(std::string_view output);

}  // namespace ccci::runner
