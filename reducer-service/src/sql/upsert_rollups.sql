-- Inserts rollup rows that did not exist when lock_rollups ran ($1: JSON
-- array, one entry per key), in key order. ON CONFLICT covers a row another
-- reducer inserted meanwhile; new rows carry only non-negative counts.
-- visitor_ids / session_ids (absent when the row gained none) become the
-- row's sketches; the parameters are migration 0006's, everywhere.
INSERT INTO rollups AS r (site_id, granularity, dimension, key, bucket_start,
                          events, pageviews, visitors, sessions, bounces,
                          duration_us, visitors_hll, sessions_hll)
SELECT site_id, granularity, dimension, key, bucket_start, events, pageviews,
       visitors, sessions, bounces, duration_us,
       (SELECT hll_add_agg(hll_hash_text(v), 15, 5, -1, 1)
        FROM jsonb_array_elements_text(x.visitor_ids) v),
       (SELECT hll_add_agg(hll_hash_text(v), 15, 5, -1, 1)
        FROM jsonb_array_elements_text(x.session_ids) v)
FROM jsonb_to_recordset($1::jsonb) AS x(
  site_id bigint, granularity smallint, dimension smallint, key text,
  bucket_start timestamptz, events bigint, pageviews bigint, visitors bigint,
  sessions bigint, bounces bigint, duration_us bigint, visitor_ids jsonb,
  session_ids jsonb)
ORDER BY site_id, granularity, dimension, key, bucket_start
ON CONFLICT (site_id, granularity, dimension, key, bucket_start) DO UPDATE SET
  events = r.events + excluded.events,
  pageviews = r.pageviews + excluded.pageviews,
  visitors = r.visitors + excluded.visitors,
  sessions = r.sessions + excluded.sessions,
  bounces = r.bounces + excluded.bounces,
  duration_us = r.duration_us + excluded.duration_us,
  visitors_hll = coalesce(hll_union(r.visitors_hll, excluded.visitors_hll),
                          r.visitors_hll, excluded.visitors_hll),
  sessions_hll = coalesce(hll_union(r.sessions_hll, excluded.sessions_hll),
                          r.sessions_hll, excluded.sessions_hll)
