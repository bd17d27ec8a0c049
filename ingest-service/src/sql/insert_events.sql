-- Stores a batch of validated events ($2, a JSON array) for site $1, queues
-- the stored ones for the reducer and wakes the reducers (NOTIFY channel $3),
-- in one statement.
-- Events whose (site, client_event_id) is already stored are skipped; rows
-- are inserted in client_event_id order so that concurrent batches sharing
-- ids wait for each other instead of deadlocking. Nothing is stored for a
-- site that is deleted (a write key cached before DeleteSite); `live` tells.
WITH live AS (
  SELECT site_id FROM sites WHERE site_id = $1 AND deleted_at IS NULL
), input AS (
  SELECT *
  FROM jsonb_to_recordset($2::jsonb) AS x(
    client_event_id text, type smallint, name text, occurred_at timestamptz,
    visitor_id text, session_id text, user_id text, path text, title text,
    referrer text, referrer_host text, properties jsonb, source text,
    device text, browser text,
    os text, country text, utm_source text, utm_medium text,
    utm_campaign text, user_agent text, bot boolean)
), stored AS (
  INSERT INTO events (
    site_id, client_event_id, type, name, occurred_at, received_at,
    visitor_id, session_id, user_id, path, title, referrer, referrer_host,
    properties, source, device, browser, os, country, utm_source, utm_medium,
    utm_campaign, user_agent, bot)
  SELECT $1, nullif(client_event_id, ''), type, name, occurred_at, now(),
         visitor_id, session_id, user_id, path, title, referrer, referrer_host,
         properties, source, device, browser, os, country, utm_source, utm_medium,
         utm_campaign, user_agent, coalesce(bot, false)
  FROM input, live
  ORDER BY client_event_id
  ON CONFLICT (site_id, client_event_id) WHERE client_event_id IS NOT NULL
    DO NOTHING
  RETURNING site_id, id
), queued AS (
  INSERT INTO event_queue (site_id, event_id)
  SELECT site_id, id FROM stored
  RETURNING 1
)
SELECT count(*) AS accepted,
       CASE WHEN count(*) > 0
            THEN pg_notify($3, $1::text) END AS notified,
       (SELECT count(*) FROM live) AS live
FROM queued
