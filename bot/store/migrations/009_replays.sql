-- Replays (issue 11.11). The signature does not cover X-Gitea-Delivery, so a body replayed
-- under a new delivery id is recognised by its hash; the hashes go with their deliveries when
-- storage.delivery_retention prunes them.
ALTER TABLE deliveries ADD COLUMN body_sha256 TEXT NOT NULL DEFAULT '';
CREATE INDEX deliveries_by_body ON deliveries (body_sha256) WHERE body_sha256 != '';

-- The newest pull_request.updated_at recorded for each PR, with the head and state it came
-- with: an older payload (replayed after the retention too) never replaces a newer head or
-- closes a PR reopened since. One row per PR, never pruned.
CREATE TABLE pr_heads (
  repo       TEXT NOT NULL,
  pr         INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,  -- unix millis
  head_sha   TEXT NOT NULL,
  state      TEXT NOT NULL,     -- open | closed
  PRIMARY KEY (repo, pr)
) WITHOUT ROWID;

-- A delivery as new as the newest recorded that says otherwise (another head or state in the
-- same second) waits here for the reconciler to ask Gitea what the PR is (bot/store/
-- pr_check_store.h). The latest such delivery of a PR replaces an earlier one.
CREATE TABLE pr_checks (
  repo          TEXT NOT NULL,
  pr            INTEGER NOT NULL,
  delivery_id   TEXT NOT NULL,
  requested_at  INTEGER NOT NULL,
  kind          TEXT NOT NULL,   -- run | cancel
  updated_at    INTEGER NOT NULL,
  head_sha      TEXT NOT NULL DEFAULT '',
  head_ref      TEXT NOT NULL DEFAULT '',
  base_ref      TEXT NOT NULL DEFAULT '',
  clone_url     TEXT NOT NULL DEFAULT '',
  title         TEXT NOT NULL DEFAULT '',
  author        TEXT NOT NULL DEFAULT '',
  trigger       TEXT NOT NULL DEFAULT '',
  cancel_reason TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (repo, pr)
) WITHOUT ROWID;

-- A close ends the PR's approval only when it was applied: not a stale or doubtful one.
DROP TRIGGER approvals_end_when_pr_closed;
CREATE TRIGGER approvals_end_when_pr_closed AFTER INSERT ON deliveries
WHEN NEW.event = 'pull_request' AND NEW.action = 'closed' AND NEW.outcome = 'cancel'
BEGIN
  DELETE FROM approvals WHERE repo = NEW.repo AND pr = NEW.pr;
END;
