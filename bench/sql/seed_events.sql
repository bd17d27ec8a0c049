-- Bench data: events :offset .. :offset + :n - 1 of a data set of :total
-- events of site :site, spread evenly over :days days from :start and
-- queued as Ingest queues them (the bench measures the reducer and the
-- queries here, not Ingest). Sessions of 5 events 40 s apart, 4 sessions
-- per visitor (:total / 20 visitors); pageviews and TRACK events (signup,
-- click, purchase); about 200 paths of skewed popularity; referrers,
-- utm_source, device, browser, os and country from small tables. An event's
-- values depend only on its number, so any chunking gives the same set.
WITH g AS (
  SELECT i, i / 5 AS s, i % 5 AS k
  FROM generate_series(:offset::bigint, :offset::bigint + :n - 1) i
), stored AS (
  INSERT INTO events (site_id, type, name, occurred_at, received_at,
                      visitor_id, session_id, path, referrer, referrer_host,
                      utm_source, device, browser, os, country)
  SELECT :site,
         CASE WHEN k < 3 OR s % 3 = 0 THEN 1 ELSE 2 END,
         CASE WHEN k < 3 OR s % 3 = 0 THEN ''
              ELSE (ARRAY['signup', 'click', 'purchase'])[1 + s % 3] END,
         :'start'::timestamptz
           + (s::float8 * (:days * 86400.0) / (:total / 5)) * interval '1 second'
           + k * interval '40 seconds',
         now(),
         'v' || (s % (:total / 20)), 's' || s,
         '/p' || ((s * 7 + k * 13) % 200 * ((s + k) % 200) / 200),
         (ARRAY['', 'https://www.google.com/', 'https://news.ycombinator.com/x',
                '', 'https://t.co/a', 'https://duckduckgo.com/'])[1 + s % 6],
         (ARRAY['', 'google.com', 'news.ycombinator.com', '', 't.co',
                'duckduckgo.com'])[1 + s % 6],
         (ARRAY['', 'newsletter', 'twitter', ''])[1 + s % 4],
         (ARRAY['desktop', 'mobile', 'tablet'])[1 + s % 3],
         (ARRAY['Chrome', 'Safari', 'Firefox', 'Edge'])[1 + s % 4],
         (ARRAY['Windows', 'macOS', 'iOS', 'Android', 'Linux'])[1 + s % 5],
         (ARRAY['DE', 'US', 'FR', 'IN', 'BR', 'GB'])[1 + s % 6]
  FROM g
  RETURNING site_id, id, occurred_at
)
INSERT INTO event_queue (site_id, event_id, occurred_at)
SELECT site_id, id, occurred_at FROM stored;
