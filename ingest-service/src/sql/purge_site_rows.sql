-- One bounded step of DeleteSite: deletes up to $2 rows of the deleted site
-- $1 from each table that holds its data and returns how many went. The
-- caller holds the site's reduction lock (lock_site_reduction.sql) for the
-- transaction, so no reduction pass of the site is half-applied meanwhile;
-- other sites' ingest and reduction never wait. Queue rows a pass has
-- claimed but not yet committed are skipped (that pass waits for the lock
-- while holding them); a later batch gets them.
WITH queue AS (
  DELETE FROM event_queue
  WHERE ctid IN (SELECT ctid FROM event_queue WHERE site_id = $1 LIMIT $2
                 FOR UPDATE SKIP LOCKED)
  RETURNING 1
), events AS (
  -- A ctid is unique only within one partition of `events`.
  DELETE FROM events
  WHERE (tableoid, ctid) IN (SELECT tableoid, ctid FROM events
                             WHERE site_id = $1 LIMIT $2)
  RETURNING 1
), client_ids AS (
  DELETE FROM event_client_ids
  WHERE ctid IN (SELECT ctid FROM event_client_ids WHERE site_id = $1
                 LIMIT $2)
  RETURNING 1
), sessions AS (
  DELETE FROM sessions
  WHERE ctid IN (SELECT ctid FROM sessions WHERE site_id = $1 LIMIT $2)
  RETURNING 1
), visitors AS (
  DELETE FROM visitors
  WHERE ctid IN (SELECT ctid FROM visitors WHERE site_id = $1 LIMIT $2)
  RETURNING 1
), visitor_buckets AS (
  DELETE FROM visitor_buckets
  WHERE ctid IN (SELECT ctid FROM visitor_buckets WHERE site_id = $1
                 LIMIT $2)
  RETURNING 1
), rollups AS (
  DELETE FROM rollups
  WHERE ctid IN (SELECT ctid FROM rollups WHERE site_id = $1 LIMIT $2)
  RETURNING 1
), spans AS (
  DELETE FROM visitor_spans
  WHERE ctid IN (SELECT ctid FROM visitor_spans WHERE site_id = $1 LIMIT $2)
  RETURNING 1
)
SELECT (SELECT count(*) FROM queue) + (SELECT count(*) FROM events)
       + (SELECT count(*) FROM client_ids)
       + (SELECT count(*) FROM sessions) + (SELECT count(*) FROM visitors)
       + (SELECT count(*) FROM visitor_buckets)
       + (SELECT count(*) FROM rollups) + (SELECT count(*) FROM spans)
