-- Replies and reactions queue in a lane of their own, apart from the PR's reports (the sticky
-- comment, commit statuses): each lane keeps its order, and a backlog of replies never holds
-- the PR's own report back (bot/forge/outbox_store.h DueMessages).
ALTER TABLE outbox ADD COLUMN lane TEXT
  GENERATED ALWAYS AS (CASE WHEN kind IN ('reply', 'reaction') THEN 'chat' ELSE 'report' END)
  VIRTUAL;
CREATE INDEX outbox_pending_lane ON outbox (state, repo, pr, lane, id);
