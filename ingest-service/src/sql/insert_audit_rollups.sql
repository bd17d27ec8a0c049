-- Second half of RebuildRollups: the recomputed rows of site $1 ($2: JSON
-- array), in key order.
INSERT INTO rollups (site_id, granularity, dimension, key, bucket_start,
                     events, pageviews, visitors, sessions, bounces,
                     duration_us)
SELECT $1, granularity, dimension, key, bucket_start, events, pageviews,
       visitors, sessions, bounces, duration_us
FROM jsonb_to_recordset($2::jsonb) AS x(
  granularity smallint, dimension smallint, key text,
  bucket_start timestamptz, events bigint, pageviews bigint, visitors bigint,
  sessions bigint, bounces bigint, duration_us bigint)
ORDER BY granularity, dimension, key, bucket_start
