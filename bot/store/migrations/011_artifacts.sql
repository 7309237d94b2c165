-- A run's artifacts in the store (issue 15), so any host serves what a worker on another host
-- produced, with no shared filesystem: stage logs as chunks appended while the stage runs,
-- and named blobs (the app's screenshot). Keyed by run; LogRetention deletes them with the
-- run's log files once the run has ended storage.log_retention ago.
CREATE TABLE log_chunks (
  run_id       INTEGER NOT NULL,
  log          TEXT NOT NULL,     -- the log's file name: install.log, install.1.log (a retry)
  seq          INTEGER NOT NULL,  -- 0, 1, 2, ... within the log
  start_offset INTEGER NOT NULL,  -- where the chunk's first byte is in the log
  end_offset   INTEGER NOT NULL,  -- start_offset + its length
  bytes        BLOB NOT NULL,
  PRIMARY KEY (run_id, log, seq)
);
-- A reader resuming at a byte offset (an SSE Last-Event-ID) finds its chunk without a scan.
CREATE INDEX log_chunks_by_end ON log_chunks (run_id, log, end_offset);

CREATE TABLE run_blobs (
  run_id       INTEGER NOT NULL,
  name         TEXT NOT NULL,     -- screenshot.png
  content_type TEXT NOT NULL,
  bytes        BLOB NOT NULL,
  created_at   INTEGER NOT NULL,  -- unix millis
  PRIMARY KEY (run_id, name)
);
