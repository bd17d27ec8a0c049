-- Visitor membership of site $1's hour and day buckets in [$2, $3), from
-- reduced raw events (after delete_audit_visitor_buckets.sql).
INSERT INTO visitor_buckets (site_id, granularity, bucket_start, visitor_id)
SELECT DISTINCT $1::bigint, g.granularity,
       date_trunc(g.unit, e.occurred_at, 'UTC'), e.visitor_id
FROM events e
CROSS JOIN (VALUES (0::smallint, 'hour'), (1::smallint, 'day'))
  AS g(granularity, unit)
WHERE e.site_id = $1 AND e.occurred_at >= $2 AND e.occurred_at < $3
  AND NOT e.bot
  AND NOT EXISTS (SELECT 1 FROM event_queue q
                  WHERE q.site_id = e.site_id AND q.event_id = e.id)
