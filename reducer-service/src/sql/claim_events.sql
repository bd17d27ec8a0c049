-- Claims up to $1 ready queue entries, oldest first, skipping entries another
-- reducer holds, and returns their events with what reduction needs of the
-- site. Locks last until the reducing transaction ends. A NULL event column
-- means the event row is gone (its site was deleted).
WITH claimed AS (
  SELECT site_id, event_id, attempts
  FROM event_queue
  WHERE state = 'pending' AND next_attempt_at <= now()
  ORDER BY next_attempt_at, site_id, event_id
  LIMIT $1
  FOR UPDATE SKIP LOCKED
)
SELECT c.site_id, c.event_id, c.attempts, e.type, e.name,
       (extract(epoch FROM e.occurred_at) * 1000000)::bigint,
       e.visitor_id, e.session_id, e.user_id, e.path, e.referrer,
       e.properties::text, e.utm_source, e.utm_medium, e.utm_campaign,
       e.device, e.browser, e.os, e.country, s.session_timeout_ms
FROM claimed c
LEFT JOIN events e ON e.site_id = c.site_id AND e.id = c.event_id
LEFT JOIN sites s ON s.site_id = c.site_id
