-- Messages to the forge, written before they are sent (bot/forge/outbox.h).
CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  repo            TEXT NOT NULL,
  pr              INTEGER NOT NULL,
  kind            TEXT NOT NULL,      -- sticky | status | reaction | reply
  coalesce_key    TEXT NOT NULL,      -- a newer message with the same key replaces a pending one
  payload         TEXT NOT NULL,      -- JSON, by kind
  state           TEXT NOT NULL DEFAULT 'pending',  -- pending | delivered | failed | dry-run
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error      TEXT NOT NULL DEFAULT '',
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX outbox_pending ON outbox (state, repo, pr, id);
CREATE INDEX outbox_key ON outbox (coalesce_key, state);

-- The one sticky comment cc-ci keeps per PR.
CREATE TABLE sticky_comments (
  repo       TEXT NOT NULL,
  pr         INTEGER NOT NULL,
  comment_id INTEGER NOT NULL,
  PRIMARY KEY (repo, pr)
);
