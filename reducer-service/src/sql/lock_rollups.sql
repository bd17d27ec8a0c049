-- Locks the existing rollup rows a pass will change ($1: the deltas as a JSON
-- array), in key order so concurrent reducers cannot deadlock on them, and
-- returns their keys. Those rows are then updated in place (update_rollups)
-- and only missing rows are inserted (upsert_rollups). The split matters:
-- PostgreSQL checks CHECK constraints on the row proposed by INSERT ... ON
-- CONFLICT before it detects the conflict, so a negative correction (a
-- session that stopped bouncing) must never travel through an INSERT.
SELECT r.site_id, r.granularity, r.dimension, r.key,
       (extract(epoch FROM r.bucket_start) * 1000000)::bigint
FROM rollups r
JOIN jsonb_to_recordset($1::jsonb) AS x(
  site_id bigint, granularity smallint, dimension smallint, key text,
  bucket_start timestamptz)
  ON r.site_id = x.site_id AND r.granularity = x.granularity
 AND r.dimension = x.dimension AND r.key = x.key
 AND r.bucket_start = x.bucket_start
ORDER BY r.site_id, r.granularity, r.dimension, r.key, r.bucket_start
FOR UPDATE OF r
