-- Stored rollup rows of site $1 with buckets in [$2, $3), both granularities,
-- with the distinct ids their sketches hold.
SELECT granularity, dimension, key,
       (extract(epoch FROM bucket_start) * 1000000)::bigint,
       events, pageviews, visitors, sessions, bounces, duration_us,
       coalesce(round(hll_cardinality(visitors_hll)), 0)::bigint,
       coalesce(round(hll_cardinality(sessions_hll)), 0)::bigint
FROM rollups
WHERE site_id = $1 AND bucket_start >= $2 AND bucket_start < $3
