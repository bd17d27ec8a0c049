-- Reduced events of site $1 in [$2, $3), after (occurred_at, id) =
-- ($4, $5), in that order, at most $6: a page of the audit's scan.
-- Bots and queued events (not reduced yet, or failed) are not in rollups,
-- so they are left out here too.
SELECT e.id, e.type, e.name,
       (extract(epoch FROM e.occurred_at) * 1000000)::bigint,
       e.path, e.referrer, e.utm_source, e.utm_medium, e.utm_campaign,
       e.device, e.browser, e.os, e.country
FROM events e
WHERE e.site_id = $1 AND e.occurred_at >= $2 AND e.occurred_at < $3
  AND (e.occurred_at, e.id) > ($4::timestamptz, $5::bigint)
  AND NOT e.bot
  AND NOT EXISTS (SELECT 1 FROM event_queue q
                  WHERE q.site_id = e.site_id AND q.event_id = e.id)
ORDER BY e.occurred_at, e.id
LIMIT $6
