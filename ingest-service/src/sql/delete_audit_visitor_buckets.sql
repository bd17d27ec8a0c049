-- RebuildRollups also rebuilds visitor membership of site $1's buckets in
-- [$2, $3), so later passes count first visits in them correctly.
DELETE FROM visitor_buckets
WHERE site_id = $1 AND bucket_start >= $2 AND bucket_start < $3
