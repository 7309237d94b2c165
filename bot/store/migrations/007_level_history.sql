-- Flaky stages: on a default-branch run a failed stage runs once more; its record then has two
-- attempts (the retry's log beside the first: <stage>.1.log) and, if the retry passed, the
-- status 'flaky'.
ALTER TABLE stages ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;

-- A recipe's history (bot/store/sql_history.cc) walks its runs newest first and stops at
-- the window: without this, every card and recipe page sorted all of the repo's runs (10-16 ms
-- with 50,000 runs in one repo; 0.1-0.2 ms with it).
CREATE INDEX runs_by_repo ON runs (repo, id);
