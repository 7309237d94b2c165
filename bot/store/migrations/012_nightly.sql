-- Nightly runs (issue 15): once a day every watched recipe's default branch is tested.
-- A pass is one night (pass_id = the UTC date, 2026-12-02). Whoever inserts it first runs it;
-- several front nodes on one database, or a restart, never run a night twice. A pass left
-- unfinished (its node died) may be taken over once its claim is stale.
CREATE TABLE nightly_passes (
  pass_id TEXT PRIMARY KEY,
  node TEXT NOT NULL,
  claimed_at INTEGER NOT NULL,   -- unix millis, renewed while the node works on it
  finished_at INTEGER,           -- null while unfinished
  runs_queued INTEGER NOT NULL DEFAULT 0
);
-- The run each recipe got in a pass: at most one (the primary key), whoever queues it.
CREATE TABLE nightly_runs (
  pass_id TEXT NOT NULL,
  repo TEXT NOT NULL,
  run_id INTEGER NOT NULL,
  PRIMARY KEY (pass_id, repo)
);
-- A recipe's nightlies, newest first (the previous night's level, the board).
CREATE INDEX nightly_runs_by_repo ON nightly_runs (repo, pass_id);
-- The one open regression issue per recipe: its number on Gitea and the level the recipe
-- had before it dropped (the issue closes when the level is back to it).
CREATE TABLE regression_issues (
  repo TEXT PRIMARY KEY,
  issue INTEGER NOT NULL,
  baseline_level INTEGER NOT NULL,
  level INTEGER NOT NULL,        -- the level the issue says now
  run_id INTEGER NOT NULL,       -- the nightly that said it
  updated_at INTEGER NOT NULL
);
