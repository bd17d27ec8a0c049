-- Adds deltas to rollup rows this transaction locked with lock_rollups ($1:
-- JSON array). The CHECK (>= 0) constraints apply to the resulting rows, so
-- a correction that would make a count negative fails the pass.
UPDATE rollups AS r SET
  events = r.events + x.events,
  pageviews = r.pageviews + x.pageviews,
  visitors = r.visitors + x.visitors,
  sessions = r.sessions + x.sessions,
  bounces = r.bounces + x.bounces,
  duration_us = r.duration_us + x.duration_us
FROM jsonb_to_recordset($1::jsonb) AS x(
  site_id bigint, granularity smallint, dimension smallint, key text,
  bucket_start timestamptz, events bigint, pageviews bigint, visitors bigint,
  sessions bigint, bounces bigint, duration_us bigint)
WHERE r.site_id = x.site_id AND r.granularity = x.granularity
  AND r.dimension = x.dimension AND r.key = x.key
  AND r.bucket_start = x.bucket_start
