-- One page of ListEvents: site $1's stored events, reduced or not, bots
-- left out, with occurred_at in [$2, $3), newest first by (occurred_at, id),
-- strictly below the cursor ($4 occurred_at, $5 id); at most $6 rows.
-- Unbounded sides and the first page's cursor come as '-infinity' and
-- 'infinity' (with the largest id), so every condition is a plain range on
-- events_by_time and the plan does not depend on which are given.
SELECT e.id, coalesce(e.client_event_id, ''), e.type, e.name,
       (extract(epoch FROM e.occurred_at) * 1000000)::bigint,
       (extract(epoch FROM e.received_at) * 1000000)::bigint,
       e.visitor_id, e.session_id, e.user_id, e.path, e.title, e.referrer,
       e.properties::text, e.source, e.device, e.browser, e.os, e.country,
       e.utm_source, e.utm_medium, e.utm_campaign
FROM events e
WHERE e.site_id = $1 AND NOT e.bot
  AND e.occurred_at >= $2::timestamptz AND e.occurred_at < $3::timestamptz
  AND (e.occurred_at, e.id) < ($4::timestamptz, $5::bigint)
ORDER BY e.occurred_at DESC, e.id DESC
LIMIT $6::integer
