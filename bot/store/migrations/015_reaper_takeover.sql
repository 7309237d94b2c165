-- The reaper's take-over (issue 15): a run whose lease expired while claimed for a server is
-- not queued again at once when a worker of that server reaps it. The reaper takes it over
-- (worker = the reaper, a fresh lease, attempts unchanged) and records here the worker that
-- lost it; only after its stack is torn down does it queue it again (RunQueue::
-- RequeueTakenOver). While this is not '' no claim takes the run (it is still running), and no
-- write fenced on a holder of the lost attempt changes it. '' for every other run.
ALTER TABLE runs ADD COLUMN reaped_from TEXT NOT NULL DEFAULT '';
