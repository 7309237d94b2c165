-- What the runner records: the current stage of a running run, and one row per stage.
ALTER TABLE runs ADD COLUMN stage TEXT NOT NULL DEFAULT '';

-- The reporter reports a run whenever its report key (state, or running:<stage>) differs
-- from what it last reported (see ReportKey in store.h).
DROP INDEX runs_unreported;
CREATE INDEX runs_unreported ON runs (id) WHERE reported_state !=
  (CASE WHEN state = 'running' AND stage != '' THEN 'running:' || stage ELSE state END);

CREATE TABLE stages (
  run_id      INTEGER NOT NULL REFERENCES runs (id),
  seq         INTEGER NOT NULL,
  name        TEXT NOT NULL,
  status      TEXT NOT NULL,   -- running | pass | fail | skip | unverified | error
  reason      TEXT NOT NULL DEFAULT '',
  exit_code   INTEGER,
  started_at  INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL DEFAULT 0,
  log_path    TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (run_id, name)
) WITHOUT ROWID;
