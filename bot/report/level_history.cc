#include "bot/report/level_history.h"

#include <algorithm>

#include "base/log.h"

namespace ccci {
namespace {

std::vector<Run> Ended(HistoryStore* history, const std::string& repo, std::optional<int64_t> pr,
                       int64_t up_to_id, int limit) {
  if (!history) return {};
  auto runs = history->EndedRuns(repo, pr, up_to_id, limit);
  if (!runs.ok()) {
    LogWarn("history.unavailable", {{"repo", repo}, {"reason", runs.status().message()}});
    return {};
  }
  std::reverse(runs->begin(), runs->end());  // oldest first
  return *runs;
}

render::HistoryPoint PointOf(const Run& r) {
  render::HistoryPoint p;
  p.run_id = r.id;
  if (r.state == kRunFinished && r.level) p.level = static_cast<int>(*r.level);
  p.pending = r.state == kRunQueued || r.state == kRunWaiting || r.state == kRunRunning;
  return p;
}

}  // namespace

std::vector<render::HistoryPoint> SparklineFor(HistoryStore* history, const Run& run) {
  std::vector<render::HistoryPoint> out;
  bool marked = false;
  for (const Run& r : Ended(history, run.repo, 0, run.id, kHistoryWindow)) {
    out.push_back(PointOf(r));
    if (r.id == run.id) marked = out.back().current = true;
  }
  if (!marked) {
    render::HistoryPoint self = PointOf(run);
    self.current = true;
    self.apart = run.pr > 0;
    out.push_back(self);
  }
  return out;
}

std::vector<render::HistoryPoint> LatestHistory(HistoryStore* history, const std::string& repo) {
  std::vector<render::HistoryPoint> out;
  for (const Run& r : Ended(history, repo, 0, 0, kHistoryWindow)) out.push_back(PointOf(r));
  return out;
}

std::vector<render::ChartRun> ChartRuns(HistoryStore* history, const std::string& repo) {
  std::vector<render::ChartRun> out;
  for (const Run& r : Ended(history, repo, std::nullopt, 0, render::kChartMaxRuns)) {
    render::ChartRun c;
    c.id = r.id;
    c.pr = r.pr;
    if (r.state == kRunFinished && r.level) c.level = static_cast<int>(*r.level);
    std::string where = r.pr > 0
                            ? "PR #" + std::to_string(r.pr)
                            : (r.head_ref.empty() ? std::string("default branch") : r.head_ref);
    c.label = "#" + std::to_string(r.id) + " · " + where + " · " + r.head_sha.substr(0, 7) + ": " +
              (c.level ? "level " + std::to_string(*c.level) : std::string("CI error"));
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace ccci
