-- Inserts rollup rows that did not exist when lock_rollups ran ($1: JSON
-- array, one entry per key), in key order. ON CONFLICT covers a row another
-- reducer inserted meanwhile; new rows carry only non-negative counts.
INSERT INTO rollups AS r (site_id, granularity, dimension, key, bucket_start,
                          events, pageviews, visitors, sessions, bounces,
                          duration_us)
SELECT site_id, granularity, dimension, key, bucket_start, events, pageviews,
       visitors, sessions, bounces, duration_us
FROM jsonb_to_recordset($1::jsonb) AS x(
  site_id bigint, granularity smallint, dimension smallint, key text,
  bucket_start timestamptz, events bigint, pageviews bigint, visitors bigint,
  sessions bigint, bounces bigint, duration_us bigint)
ORDER BY site_id, granularity, dimension, key, bucket_start
ON CONFLICT (site_id, granularity, dimension, key, bucket_start) DO UPDATE SET
  events = r.events + excluded.events,
  pageviews = r.pageviews + excluded.pageviews,
  visitors = r.visitors + excluded.visitors,
  sessions = r.sessions + excluded.sessions,
  bounces = r.bounces + excluded.bounces,
  duration_us = r.duration_us + excluded.duration_us
