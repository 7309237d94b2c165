-- Claims (issue 18): RunQueue::ClaimNext takes the oldest queued run (state = 'queued' ORDER BY
-- id). PostgreSQL read it through the primary key, walking every run already claimed or
-- finished before it; this index holds only the queued runs, in the order claims take them.
-- (SQLite's runs_by_state already holds (state, rowid) in that order.)
CREATE INDEX runs_queued ON runs (id) WHERE state = 'queued';
