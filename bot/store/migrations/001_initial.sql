-- Deliveries, runs and pending chat-ops commands.
CREATE TABLE deliveries (
  id          TEXT PRIMARY KEY,        -- X-Gitea-Delivery
  event       TEXT NOT NULL,
  event_type  TEXT NOT NULL DEFAULT '',
  action      TEXT NOT NULL DEFAULT '',
  repo        TEXT NOT NULL DEFAULT '',
  pr          INTEGER NOT NULL DEFAULT 0,
  head_sha    TEXT NOT NULL DEFAULT '',
  sender      TEXT NOT NULL DEFAULT '',
  received_at INTEGER NOT NULL,        -- unix millis
  outcome     TEXT NOT NULL,           -- queued | coalesced | cancel | command | ignored
  detail      TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX deliveries_by_time ON deliveries (received_at);  -- retention pruning

CREATE TABLE runs (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  repo             TEXT NOT NULL,
  pr               INTEGER NOT NULL,   -- 0: a branch run
  head_sha         TEXT NOT NULL,
  head_ref         TEXT NOT NULL DEFAULT '',
  base_ref         TEXT NOT NULL DEFAULT '',
  clone_url        TEXT NOT NULL DEFAULT '',
  title            TEXT NOT NULL DEFAULT '',
  author           TEXT NOT NULL DEFAULT '',
  trigger          TEXT NOT NULL,
  delivery_id      TEXT NOT NULL DEFAULT '',
  state            TEXT NOT NULL,
  level            INTEGER,
  reason           TEXT NOT NULL DEFAULT '',
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  superseded_by    INTEGER NOT NULL DEFAULT 0,
  attempts         INTEGER NOT NULL DEFAULT 0,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  started_at       INTEGER,
  finished_at      INTEGER
);
CREATE INDEX runs_by_pr ON runs (repo, pr, state);
CREATE INDEX runs_by_state ON runs (state);

CREATE TABLE commands (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  delivery_id     TEXT NOT NULL,
  repo            TEXT NOT NULL,
  pr              INTEGER NOT NULL,
  comment_id      INTEGER NOT NULL,
  author          TEXT NOT NULL,
  body            TEXT NOT NULL,
  author_can_push INTEGER,             -- NULL: unknown, ask the permission API
  state           TEXT NOT NULL DEFAULT 'pending',
  created_at      INTEGER NOT NULL,
  UNIQUE (repo, comment_id)            -- a comment redelivered under a new id is one command
);
CREATE INDEX commands_by_state ON commands (state);
