#pragma once
// A recipe's level history as the renderer draws it, read from the HistoryStore: the card's
// sparkline for one run, the history badge's, the recipe page's chart. A store error gives an
// empty history (the picture is left out), never a failed page.

#include <string>
#include <vector>

#include "bot/store/history_store.h"
#include "renderer/level_chart.h"
#include "renderer/sparkline.h"

namespace ccci {

// The default branch's last kHistoryWindow ended runs up to `run`, oldest first, with `run`
// marked: in place when it is one of them, else in a slot of its own (a PR's run, or one that
// has not ended).
std::vector<render::HistoryPoint> SparklineFor(HistoryStore* history, const Run& run);

// The default branch's last kHistoryWindow ended runs, oldest first, none marked.
std::vector<render::HistoryPoint> LatestHistory(HistoryStore* history, const std::string& repo);

// Every ended run of `repo` (the newest render::kChartMaxRuns), oldest first.
std::vector<render::ChartRun> ChartRuns(HistoryStore* history, const std::string& repo);

}  // namespace ccci
