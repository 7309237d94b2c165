#pragma once
// Badge routes: what a run's or a repo's badge says, and the HTTP handler serving
// /badge/{owner}/{repo}.svg|.png|.json, /badge/{owner}/{repo}/pulls/{n}.svg|.png,
// /badge/{owner}/{repo}/history.svg (the default branch's level history) and
// /runs/{id}/badge.svg|.png, with ETags and cache lifetimes that fit how final the answer is.

#include <optional>
#include <string>
#include <string_view>

#include "bot/http/route.h"
#include "bot/store/artifact_store.h"
#include "bot/store/history_store.h"
#include "bot/store/run_reader.h"
#include "renderer/badge.h"

namespace ccci {

struct BadgeAnswer {
  render::BadgeSpec spec;
  int max_age_s = 60;  // how long caches may keep it
};

// The badge for one run: "level N" when finished, "ci error", or its state (queued, ...).
BadgeAnswer BadgeForRun(const Run& run);
// The badge of the newest finished run matching repo/pr (pr 0: the default branch); while
// there is none, the newest run's state; "unknown" (grey) for a repo never seen.
BadgeAnswer BadgeForLatest(RunReader* store, const std::string& repo, int64_t pr);

// The route for `path` if it is a badge, card or screenshot, else none. Cards and
// screenshots take the run's screenshot from `artifacts` (the runner of any host put it
// there), else from <data_dir>/runs/<id>/screenshot.png (null, empty: none). Cards and the
// history badge draw the level history from `history` (null: cards without it, and an empty
// history badge).
Route MatchBadgeRoute(std::string_view path, RunReader* store, const std::string& data_dir,
                      HistoryStore* history = nullptr, ArtifactStore* artifacts = nullptr);

}  // namespace ccci
