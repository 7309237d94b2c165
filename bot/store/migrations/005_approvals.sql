-- Trust: a trusted user's `!cc-ci ok-to-test` on a PR (bot/chatops/approval_store.h). It
-- holds for every later push to the PR, until the PR is closed.
CREATE TABLE approvals (
  repo        TEXT NOT NULL,
  pr          INTEGER NOT NULL,
  approved_by TEXT NOT NULL,
  at          INTEGER NOT NULL,  -- unix millis
  PRIMARY KEY (repo, pr)
) WITHOUT ROWID;

-- Closing or merging a PR ends its approval, in the transaction that records the close
-- (Store::RecordDelivery; a redelivery is never inserted twice).
CREATE TRIGGER approvals_end_when_pr_closed AFTER INSERT ON deliveries
WHEN NEW.event = 'pull_request' AND NEW.action = 'closed'
BEGIN
  DELETE FROM approvals WHERE repo = NEW.repo AND pr = NEW.pr;
END;

-- A run of an approved PR is never held. The scheduler asks the trust gate, then calls
-- HoldRun in a later transaction; an approval committed in between would otherwise leave
-- that run waiting with nothing left to release it.
CREATE TRIGGER approvals_keep_approved_runs_queued AFTER UPDATE OF state ON runs
WHEN NEW.state = 'waiting'
  AND EXISTS (SELECT 1 FROM approvals WHERE repo = NEW.repo AND pr = NEW.pr)
BEGIN
  UPDATE runs SET state = 'queued', reason = '' WHERE id = NEW.id;
END;
