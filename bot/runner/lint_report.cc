#include "bot/runner/lint_report.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace ccci::runner {
namespace {

std::string Trim(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Splits on the multi-byte box characters and '|'; drops the empty outer cells.
std::vector<std::string> Cells(std::string_view raw) {
  std::string line;
  for (size_t i = 0; i < raw.size();) {
    std::string_view rest = raw.substr(i);
    if (rest.substr(0, 3) == "│" || rest.substr(0, 3) == "┃") {
      line += '|';
      i += 3;
    } else {
      line += raw[i++];
    }
  }
  std::vector<std::string> cells;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, '|')) cells.push_back(Trim(cell));
  while (!cells.empty() && cells.front().empty()) cells.erase(cells.begin());
  while (!cells.empty() && cells.back().empty()) cells.pop_back();
  return cells;
}

bool Truthy(const std::string& cell) {
  std::string c = Lower(cell);
  return c == "yes" || c == "true" || c == "✅" || c == "y" || c == "✓";
}

bool IsRef(const std::string& c) {
  return c.size() == 4 && c[0] == 'R' && std::all_of(c.begin() + 1, c.end(), ::isdigit);
}

}  // namespace

bool LintReport::passed() const { return failed_errors().empty(); }

std::vector<std::string> LintReport::failed_errors() const {
  std::vector<std::string> out;
  for (const auto& r : rules)
    if (r.severity == "error" && !r.satisfied && !r.skipped) out.push_back(r.ref);
  return out;
}

std::vector<std::string> LintReport::failed_rules() const {
  std::vector<std::string> out;
  for (const auto& r : rules)
    if (!r.satisfied && !r.skipped) out.push_back(r.ref + " (" + r.severity + ")");
  return out;
}

Result<LintReport> ParseLintOutput(std::string_view output) {
  int ref = -1, rule = -1, sev = -1, sat = -1, skip = -1;
  LintReport report;
  std::stringstream ss{std::string(output)};
  std::string line;
  while (std::getline(ss, line)) {
    auto cells = Cells(line);
    if (ref < 0) {
      for (int i = 0; i < static_cast<int>(cells.size()); ++i) {
        std::string c = Lower(cells[static_cast<size_t>(i)]);
        if (c == "ref") ref = i;
        else if (c == "rule") rule = i;
        else if (c == "severity") sev = i;
        else if (c == "satisfied") sat = i;
        else if (c == "skipped") skip = i;
      }
      if (ref >= 0 && (sev < 0 || sat < 0)) ref = -1;  // not the header
      continue;
    }
    int need = std::max({ref, rule, sev, sat, skip});
    if (static_cast<int>(cells.size()) <= need || !IsRef(cells[static_cast<size_t>(ref)]))
      continue;
    LintRule r;
    r.ref = cells[static_cast<size_t>(ref)];
    if (rule >= 0) r.rule = cells[static_cast<size_t>(rule)];
    r.severity = Lower(cells[static_cast<size_t>(sev)]);
    r.satisfied = Truthy(cells[static_cast<size_t>(sat)]);
    if (skip >= 0) r.skipped = Truthy(cells[static_cast<size_t>(skip)]);
    report.rules.push_back(std::move(r));
  }
  if (ref < 0) return InvalidArgument("lint output has no table header");
  if (report.rules.empty()) return InvalidArgument("lint output has no rule rows");
  return report;
}

}  // namespace ccci::runner
