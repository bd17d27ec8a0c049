-- Last step of RebuildRollups: the sketches of site $1's rollup rows with
-- buckets in [$2, $3), recomputed from reduced raw events (after
-- insert_audit_rollups.sql wrote the rows themselves).
UPDATE rollups AS r
SET visitors_hll = s.visitors_hll, sessions_hll = s.sessions_hll
FROM rollup_sketches_of_events($1, $2, $3) AS s
WHERE r.site_id = $1 AND r.granularity = s.granularity
  AND r.dimension = s.dimension AND r.key = s.key
  AND r.bucket_start = s.bucket_start
