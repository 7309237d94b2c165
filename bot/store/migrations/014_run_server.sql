-- The reaper (issue 15): the abra server (runner.server, the test host) a run was last claimed
-- for, so that a worker on that server can tear down the stack of a run whose lease expired
-- (RunQueue::ClaimNext records it; '' for runs claimed before this migration).
ALTER TABLE runs ADD COLUMN server TEXT NOT NULL DEFAULT '';
