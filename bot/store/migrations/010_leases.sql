-- Leases (issue 15): a worker on any host claims a queued run for a while (RunQueue::ClaimNext)
-- and keeps it by extending the lease (ExtendLease) while it is still the run's holder, in
-- the attempt it claimed. A worker that lost its lease cannot extend it.
ALTER TABLE runs ADD COLUMN worker TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;  -- unix millis; 0: none
