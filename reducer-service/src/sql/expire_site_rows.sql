-- One bounded step of retention for site $1: deletes at most $5 rows from
-- each of
--   events, event_client_ids  occurred_at before $2, events only once reduced
--                             (a queued or dead event stays; its key may go:
--                             Ingest refuses an event that old anyway)
--   sessions                  last event before $3, unless the site still
--                             has a queued event that old (it may extend one)
--   rollups, visitor_buckets  hour buckets starting before $4
-- (cutoffs in µs since the epoch; reducer-service/src/retention.h) and
-- returns how many went from each, in that order. Day rollups and visitors
-- are kept. Each delete walks an index on (site_id, time) from the oldest
-- row, so a step costs about $5 rows per table however much is expired.
WITH cut AS (
  SELECT to_timestamp($2::float8 / 1e6) AS events_before,
         to_timestamp($3::float8 / 1e6) AS sessions_before,
         to_timestamp($4::float8 / 1e6) AS hours_before
), gone_events AS (
  DELETE FROM events e
  USING (SELECT x.tableoid AS part, x.ctid AS row
         FROM events x, cut
         WHERE x.site_id = $1 AND x.occurred_at < cut.events_before
           AND NOT EXISTS (SELECT 1 FROM event_queue q
                           WHERE q.site_id = x.site_id AND q.event_id = x.id)
         ORDER BY x.occurred_at
         LIMIT $5) old
  WHERE e.tableoid = old.part AND e.ctid = old.row
  RETURNING 1
), gone_ids AS (
  DELETE FROM event_client_ids k
  WHERE k.ctid IN (SELECT x.ctid
                   FROM event_client_ids x, cut
                   WHERE x.site_id = $1 AND x.occurred_at < cut.events_before
                   ORDER BY x.occurred_at
                   LIMIT $5)
  RETURNING 1
), gone_sessions AS (
  DELETE FROM sessions s
  WHERE s.ctid IN (SELECT x.ctid
                   FROM sessions x, cut
                   WHERE x.site_id = $1 AND x.started_at < cut.sessions_before
                     AND x.last_seen_at < cut.sessions_before
                     AND NOT EXISTS (
                       SELECT 1 FROM event_queue q
                       WHERE q.site_id = $1
                         AND q.occurred_at < cut.events_before)
                   LIMIT $5)
  RETURNING 1
), gone_rollups AS (
  DELETE FROM rollups r
  WHERE r.ctid IN (SELECT x.ctid
                   FROM rollups x, cut
                   WHERE x.site_id = $1 AND x.granularity = 0
                     AND x.bucket_start < cut.hours_before
                   LIMIT $5)
  RETURNING 1
), gone_buckets AS (
  DELETE FROM visitor_buckets b
  WHERE b.ctid IN (SELECT x.ctid
                   FROM visitor_buckets x, cut
                   WHERE x.site_id = $1 AND x.granularity = 0
                     AND x.bucket_start < cut.hours_before
                   LIMIT $5)
  RETURNING 1
)
SELECT (SELECT count(*) FROM gone_events),
       (SELECT count(*) FROM gone_ids),
       (SELECT count(*) FROM gone_sessions),
       (SELECT count(*) FROM gone_rollups),
       (SELECT count(*) FROM gone_buckets)
