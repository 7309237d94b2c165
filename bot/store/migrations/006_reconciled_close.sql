-- A close the reconciler found (its webhook was lost; bot/report/reconciler.cc) ends the PR's
-- approval too, like the close webhook does (005_approvals.sql).
CREATE TRIGGER approvals_end_when_close_reconciled AFTER INSERT ON deliveries
WHEN NEW.event = 'reconcile' AND NEW.action = 'closed'
BEGIN
  DELETE FROM approvals WHERE repo = NEW.repo AND pr = NEW.pr;
END;
