-- First half of RebuildRollups: removes site $1's rollup rows with buckets in
-- [$2, $3). (Two statements, not one with a DELETE in WITH: the parts of a
-- statement share one snapshot and may run in any order, so the INSERT could
-- meet the rows it replaces.)
DELETE FROM rollups
WHERE site_id = $1 AND bucket_start >= $2 AND bucket_start < $3
