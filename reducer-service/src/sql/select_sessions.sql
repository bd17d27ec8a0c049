-- Stored sessions that may merge with new events: same site and session id,
-- overlapping [lo, hi] (the new events' span widened by the timeout).
SELECT s.site_id, s.session_id,
       (extract(epoch FROM s.started_at) * 1000000)::bigint,
       (extract(epoch FROM s.last_seen_at) * 1000000)::bigint,
       s.first_event_id, s.last_event_id, s.visitor_id, s.pageviews, s.events,
       s.entry_path, (extract(epoch FROM s.entry_at) * 1000000)::bigint,
       coalesce(s.entry_event_id, 0), s.exit_path,
       (extract(epoch FROM s.exit_at) * 1000000)::bigint,
       coalesce(s.exit_event_id, 0), s.referrer, s.utm_source, s.utm_medium,
       s.utm_campaign, s.device, s.browser, s.os, s.country
FROM jsonb_to_recordset($1::jsonb) AS x(site_id bigint, session_id text,
                                        lo timestamptz, hi timestamptz)
JOIN sessions s ON s.site_id = x.site_id AND s.session_id = x.session_id
  AND s.started_at <= x.hi AND s.last_seen_at >= x.lo
