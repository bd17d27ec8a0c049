-- VerifyRollups' check of site $1's visitor spans (migration 0009) of the
-- blocks holding a day of [$2, $3): the blocks that have a span or should
-- have one, and how many of them differ from the union of their day
-- sketches (missing, left over or different).
WITH expected AS (
  SELECT * FROM visitor_spans_of_days($1, $2, $3)
), stored AS (
  SELECT s.days, s.span_start, s.visitors_hll
  FROM visitor_spans s
  WHERE s.site_id = $1 AND s.span_start < $3::timestamptz
    AND s.span_start + s.days * interval '1 day' > $2::timestamptz
)
SELECT count(*),
       count(*) FILTER (WHERE e.visitors_hll IS DISTINCT FROM s.visitors_hll)
FROM expected e
FULL JOIN stored s ON s.days = e.days AND s.span_start = e.span_start
