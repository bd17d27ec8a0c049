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
--
-- The cutoffs are written out in each WHERE, not read from a CTE: joined
-- from a CTE they were only a filter, and a site with nothing to expire had
-- every one of its events read per step (1.9M rows, 10 s; EXPLAIN ANALYZE);
-- as expressions of parameters they bound the index scans and prune the
-- partitions of `events`.
WITH gone_events AS (
  DELETE FROM events e
  USING (SELECT x.tableoid AS part, x.ctid AS row
         FROM events x
         WHERE x.site_id = $1
           AND x.occurred_at < to_timestamp($2::float8 / 1e6)
           AND NOT EXISTS (SELECT 1 FROM event_queue q
                           WHERE q.site_id = x.site_id AND q.event_id = x.id)
         ORDER BY x.occurred_at
         LIMIT $5) old
  WHERE e.tableoid = old.part AND e.ctid = old.row
  RETURNING 1
), gone_ids AS (
  DELETE FROM event_client_ids k
  WHERE k.ctid IN (SELECT x.ctid
                   FROM event_client_ids x
                   WHERE x.site_id = $1
                     AND x.occurred_at < to_timestamp($2::float8 / 1e6)
                   ORDER BY x.occurred_at
                   LIMIT $5)
  RETURNING 1
), gone_sessions AS (
  DELETE FROM sessions s
  WHERE s.ctid IN (SELECT x.ctid
                   FROM sessions x
                   WHERE x.site_id = $1
                     AND x.started_at < to_timestamp($3::float8 / 1e6)
                     AND x.last_seen_at < to_timestamp($3::float8 / 1e6)
                     AND NOT EXISTS (
                       SELECT 1 FROM event_queue q
                       WHERE q.site_id = $1
                         AND q.occurred_at < to_timestamp($2::float8 / 1e6))
                   LIMIT $5)
  RETURNING 1
), gone_rollups AS (
  DELETE FROM rollups r
  WHERE r.ctid IN (SELECT x.ctid
                   FROM rollups x
                   WHERE x.site_id = $1 AND x.granularity = 0
                     AND x.bucket_start < to_timestamp($4::float8 / 1e6)
                   LIMIT $5)
  RETURNING 1
), gone_buckets AS (
  DELETE FROM visitor_buckets b
  WHERE b.ctid IN (SELECT x.ctid
                   FROM visitor_buckets x
                   WHERE x.site_id = $1 AND x.granularity = 0
                     AND x.bucket_start < to_timestamp($4::float8 / 1e6)
                   LIMIT $5)
  RETURNING 1
)
SELECT (SELECT count(*) FROM gone_events),
       (SELECT count(*) FROM gone_ids),
       (SELECT count(*) FROM gone_sessions),
       (SELECT count(*) FROM gone_rollups),
       (SELECT count(*) FROM gone_buckets)
