-- The approvals' triggers made again, unchanged, so that on PostgreSQL each gets its condition as
-- a WHEN clause too (bot/store/pg_dialect.cc): a row it rules out (every delivery that is not a
-- close, every run that is not put on hold) no longer calls a PL/pgSQL function. On SQLite this
-- changes nothing.
DROP TRIGGER approvals_end_when_pr_closed;
CREATE TRIGGER approvals_end_when_pr_closed AFTER INSERT ON deliveries
WHEN NEW.event = 'pull_request' AND NEW.action = 'closed' AND NEW.outcome = 'cancel'
BEGIN
  DELETE FROM approvals WHERE repo = NEW.repo AND pr = NEW.pr;
END;

DROP TRIGGER approvals_end_when_close_reconciled;
CREATE TRIGGER approvals_end_when_close_reconciled AFTER INSERT ON deliveries
WHEN NEW.event = 'reconcile' AND NEW.action = 'closed'
BEGIN
  DELETE FROM approvals WHERE repo = NEW.repo AND pr = NEW.pr;
END;

DROP TRIGGER approvals_keep_approved_runs_queued;
CREATE TRIGGER approvals_keep_approved_runs_queued AFTER UPDATE OF state ON runs
WHEN NEW.state = 'waiting'
  AND EXISTS (SELECT 1 FROM approvals WHERE repo = NEW.repo AND pr = NEW.pr)
BEGIN
  UPDATE runs SET state = 'queued', reason = '' WHERE id = NEW.id;
END;
