-- Flaky stages: on a default-branch run a failed stage runs once more; its record then has two
-- attempts (the retry's log beside the first: <stage>.1.log) and, if the retry passed, the
-- status 'flaky'.
ALTER TABLE stages ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;

