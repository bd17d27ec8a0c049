-- Distinct visitor and session ids the sketches of site $1's rollup rows with
-- buckets in [$2, $3) should hold, recomputed from reduced raw events
-- (rollup_sketches_of_events, migration 0006).
SELECT granularity, dimension, key,
       (extract(epoch FROM bucket_start) * 1000000)::bigint,
       round(hll_cardinality(visitors_hll))::bigint,
       round(hll_cardinality(sessions_hll))::bigint
FROM rollup_sketches_of_events($1, $2, $3)
