-- Distinct visitors of site $1 per hour and per day of [$2, $3) from reduced
-- raw events (0 = hour, 1 = day, as rollups.granularity).
WITH reduced AS (
  SELECT e.occurred_at, e.visitor_id
  FROM events e
  WHERE e.site_id = $1 AND e.occurred_at >= $2 AND e.occurred_at < $3
    AND NOT e.bot
    AND NOT EXISTS (SELECT 1 FROM event_queue q
                    WHERE q.site_id = e.site_id AND q.event_id = e.id)
)
SELECT 0, (extract(epoch FROM date_trunc('hour', occurred_at, 'UTC'))
           * 1000000)::bigint, count(DISTINCT visitor_id)
FROM reduced GROUP BY 2
UNION ALL
SELECT 1, (extract(epoch FROM date_trunc('day', occurred_at, 'UTC'))
           * 1000000)::bigint, count(DISTINCT visitor_id)
FROM reduced GROUP BY 2
