-- One page of ListSessions: site $1's sessions with started_at in [$2, $3),
-- newest first by (started_at, session_id in byte order), strictly below the
-- cursor ($4 started_at, $5 session_id); at most $6 rows. Unbounded sides
-- and the first page's cursor come as '-infinity' and 'infinity', so every
-- condition is a plain range on sessions_by_start.
SELECT s.session_id, s.visitor_id,
       (extract(epoch FROM s.started_at) * 1000000)::bigint,
       (extract(epoch FROM s.last_seen_at) * 1000000)::bigint,
       s.pageviews, s.events, s.entry_path, s.exit_path, s.referrer,
       s.utm_source, s.utm_medium, s.utm_campaign, s.device, s.browser, s.os,
       s.country
FROM sessions s
WHERE s.site_id = $1
  AND s.started_at >= $2::timestamptz AND s.started_at < $3::timestamptz
  AND (s.started_at, s.session_id COLLATE "C") < ($4::timestamptz, $5::text)
ORDER BY s.started_at DESC, s.session_id COLLATE "C" DESC
LIMIT $6::integer
