-- Per-site order of ready queue entries, for the fair claim
-- (reducer-service/src/sql/claim_events.sql): it walks the distinct site_ids
-- with pending entries (a loose index scan: one probe per site, however long
-- a site's backlog) and takes each site's oldest entries in the order it
-- claims them, (next_attempt_at, event_id), without a sort. event_queue_ready
-- stays: it serves the global oldest-first round that fills the rest of a
-- batch.
CREATE INDEX event_queue_site_ready
  ON event_queue (site_id, next_attempt_at, event_id)
  WHERE state = 'pending';
