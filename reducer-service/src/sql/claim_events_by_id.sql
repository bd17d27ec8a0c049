-- Like claim_events, for the given queue entries ($1: JSON array of
-- {site_id, event_id}) that are still pending; used to isolate a failing
-- event by bisecting a batch.
WITH wanted AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(site_id bigint, event_id bigint)
), claimed AS (
  SELECT q.site_id, q.event_id, q.attempts, q.occurred_at
  FROM event_queue q
  JOIN wanted w ON w.site_id = q.site_id AND w.event_id = q.event_id
  WHERE q.state = 'pending'
  ORDER BY q.site_id, q.event_id
  FOR UPDATE OF q SKIP LOCKED
)
SELECT c.site_id, c.event_id, c.attempts, e.type, e.name,
       (extract(epoch FROM e.occurred_at) * 1000000)::bigint,
       e.visitor_id, e.session_id, e.user_id, e.path, e.referrer,
       e.properties::text, e.utm_source, e.utm_medium, e.utm_campaign,
       e.device, e.browser, e.os, e.country, s.session_timeout_ms, e.bot
FROM claimed c
-- One primary key probe per entry, in the one partition of its occurred_at
-- (run-time pruning). As a plain join the planner, which cannot count on
-- pruning, may prefer hashing every partition of `events`; LIMIT 1 keeps
-- the subquery a per-row probe.
LEFT JOIN LATERAL (
  SELECT * FROM events x
  WHERE x.site_id = c.site_id AND x.id = c.event_id
    AND x.occurred_at = c.occurred_at
  LIMIT 1) e ON true
LEFT JOIN sites s ON s.site_id = c.site_id
