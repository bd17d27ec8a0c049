-- Stores a batch of validated events ($2, a JSON array) for site $1, queues
-- the stored ones for the reducer and wakes the reducers (NOTIFY channel $3),
-- in one statement.
-- Events whose (site, client_event_id) is already stored are skipped: the
-- keys go into event_client_ids (migration 0008) first, in client_event_id
-- order so that concurrent batches sharing ids wait for each other instead
-- of deadlocking, and only events whose key was new (or that have none) are
-- stored. Nothing is stored for a site that is deleted (a write key cached
-- before DeleteSite); `live` tells.
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
), new_ids AS (
  INSERT INTO event_client_ids (site_id, client_event_id, occurred_at)
  SELECT $1, client_event_id, occurred_at
  FROM input, live
  WHERE client_event_id <> ''
  ORDER BY client_event_id
  ON CONFLICT DO NOTHING
  RETURNING client_event_id
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
  FROM (SELECT DISTINCT ON (client_event_id) *  -- one of a batch's repeats
        FROM input
        WHERE client_event_id IN (SELECT client_event_id FROM new_ids)
        UNION ALL
        SELECT * FROM input WHERE client_event_id = '') AS i, live
  RETURNING site_id, id, occurred_at
), queued AS (
  INSERT INTO event_queue (site_id, event_id, occurred_at)
  SELECT site_id, id, occurred_at FROM stored
  RETURNING 1
)
SELECT count(*) AS accepted,
       CASE WHEN count(*) > 0
            THEN pg_notify($3, $1::text) END AS notified,
       (SELECT count(*) FROM live) AS live
FROM queued
