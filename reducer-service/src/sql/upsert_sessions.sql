-- Writes the new state of changed sessions ($1: JSON array of rows).
INSERT INTO sessions AS s (
  site_id, session_id, started_at, last_seen_at, first_event_id,
  last_event_id, visitor_id, pageviews, events, entry_path, entry_at,
  entry_event_id, exit_path, exit_at, exit_event_id, referrer, utm_source,
  utm_medium, utm_campaign, device, browser, os, country)
SELECT site_id, session_id, started_at, last_seen_at, first_event_id,
       last_event_id, visitor_id, pageviews, events, entry_path, entry_at,
       entry_event_id, exit_path, exit_at, exit_event_id, referrer,
       utm_source, utm_medium, utm_campaign, device, browser, os, country
FROM jsonb_to_recordset($1::jsonb) AS x(
  site_id bigint, session_id text, started_at timestamptz,
  last_seen_at timestamptz, first_event_id bigint, last_event_id bigint,
  visitor_id text, pageviews integer, events integer, entry_path text,
  entry_at timestamptz, entry_event_id bigint, exit_path text,
  exit_at timestamptz, exit_event_id bigint, referrer text, utm_source text,
  utm_medium text, utm_campaign text, device text, browser text, os text,
  country text)
ORDER BY site_id, session_id, started_at
ON CONFLICT (site_id, session_id, started_at) DO UPDATE SET
  last_seen_at = excluded.last_seen_at,
  first_event_id = excluded.first_event_id,
  last_event_id = excluded.last_event_id,
  visitor_id = excluded.visitor_id,
  pageviews = excluded.pageviews,
  events = excluded.events,
  entry_path = excluded.entry_path,
  entry_at = excluded.entry_at,
  entry_event_id = excluded.entry_event_id,
  exit_path = excluded.exit_path,
  exit_at = excluded.exit_at,
  exit_event_id = excluded.exit_event_id,
  referrer = excluded.referrer,
  utm_source = excluded.utm_source,
  utm_medium = excluded.utm_medium,
  utm_campaign = excluded.utm_campaign,
  device = excluded.device,
  browser = excluded.browser,
  os = excluded.os,
  country = excluded.country
