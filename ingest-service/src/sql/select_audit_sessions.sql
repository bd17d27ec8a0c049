-- Sessions of site $1 that started in [$2, $3), with what their rollup
-- contribution depends on.
SELECT (extract(epoch FROM started_at) * 1000000)::bigint,
       (extract(epoch FROM last_seen_at - started_at) * 1000000)::bigint,
       pageviews, referrer, utm_source, utm_medium, utm_campaign
FROM sessions
WHERE site_id = $1 AND started_at >= $2 AND started_at < $3
