-- The state of each run last reported to the forge: a run whose state differs still owes the
-- PR a report. Reports are enqueued in the same transaction that sets this (crash-safe).
ALTER TABLE runs ADD COLUMN reported_state TEXT NOT NULL DEFAULT '';
CREATE INDEX runs_unreported ON runs (id) WHERE reported_state != state;
