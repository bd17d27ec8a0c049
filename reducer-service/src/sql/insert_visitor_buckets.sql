-- Records which visitors were active in which buckets ($1: JSON array, in
-- key order) and returns the pairs that are new, whose buckets gain a visitor.
INSERT INTO visitor_buckets (site_id, granularity, bucket_start, visitor_id)
SELECT site_id, granularity, bucket_start, visitor_id
FROM jsonb_to_recordset($1::jsonb) AS x(site_id bigint, granularity smallint,
                                        bucket_start timestamptz,
                                        visitor_id text)
ORDER BY site_id, granularity, bucket_start, visitor_id
ON CONFLICT DO NOTHING
RETURNING site_id, granularity,
          (extract(epoch FROM bucket_start) * 1000000)::bigint, visitor_id
