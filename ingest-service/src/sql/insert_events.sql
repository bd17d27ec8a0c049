-- Stores the validated events of one commit group ($1: JSON array with one
-- {"site_id", "events": [...]} per Ingest call; an event's `batch` is its
-- call's index there), queues the stored ones for the reducer and wakes the
-- reducers (NOTIFY channel $2, payload the site id), in one statement.
-- Returns one row per batch, in order: the events it stored and whether its
-- site is live.
-- Events whose (site, client_event_id) is already stored are skipped: the
-- keys go into event_client_ids (migration 0008) first, in key order so
-- that concurrent groups sharing keys wait for each other instead of
-- deadlocking, and only events whose key was new (or that have none) are
-- stored; of repeats within the group one is stored, the others count as
-- duplicates of their batch. Nothing is stored for a deleted site (a write
-- key cached before DeleteSite).
WITH batches AS MATERIALIZED (  -- $1 parsed once
  SELECT (n - 1)::integer AS batch, (value->>'site_id')::bigint AS site_id,
         value->'events' AS events
  FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS b(value, n)
), input AS (
  SELECT b.batch, b.site_id, x.*
  FROM batches b
  CROSS JOIN LATERAL jsonb_to_recordset(b.events) AS x(
    client_event_id text, type smallint, name text, occurred_at timestamptz,
    visitor_id text, session_id text, user_id text, path text, title text,
    referrer text, referrer_host text, properties jsonb, source text,
    device text, browser text,
    os text, country text, utm_source text, utm_medium text,
    utm_campaign text, user_agent text, bot boolean)
), live AS (
  SELECT site_id FROM sites
  WHERE site_id IN (SELECT site_id FROM input) AND deleted_at IS NULL
), new_ids AS (
  INSERT INTO event_client_ids (site_id, client_event_id, occurred_at)
  SELECT i.site_id, i.client_event_id, i.occurred_at
  FROM input i JOIN live USING (site_id)
  WHERE i.client_event_id <> ''
  ORDER BY i.site_id, i.client_event_id
  ON CONFLICT DO NOTHING
  RETURNING site_id, client_event_id
), chosen AS MATERIALIZED (
  -- Ids drawn here, so every stored event is known by its batch.
  SELECT nextval('events_id_seq') AS id, c.*
  FROM (SELECT DISTINCT ON (i.site_id, i.client_event_id) i.*
        FROM input i JOIN new_ids n USING (site_id, client_event_id)
        UNION ALL
        SELECT i.* FROM input i JOIN live USING (site_id)
        WHERE i.client_event_id = '') AS c
), stored AS (
  INSERT INTO events (
    site_id, id, client_event_id, type, name, occurred_at, received_at,
    visitor_id, session_id, user_id, path, title, referrer, referrer_host,
    properties, source, device, browser, os, country, utm_source, utm_medium,
    utm_campaign, user_agent, bot)
  SELECT site_id, id, nullif(client_event_id, ''), type, name, occurred_at,
         now(), visitor_id, session_id, user_id, path, title, referrer,
         referrer_host, properties, source, device, browser, os, country,
         utm_source, utm_medium, utm_campaign, user_agent,
         coalesce(bot, false)
  FROM chosen
  RETURNING site_id, id, occurred_at
), queued AS (
  INSERT INTO event_queue (site_id, event_id, occurred_at)
  SELECT site_id, id, occurred_at FROM stored
  RETURNING site_id
), notified AS (
  SELECT pg_notify($2, site_id::text)
  FROM (SELECT DISTINCT site_id FROM queued) s
)
SELECT b.batch, coalesce(c.accepted, 0) AS accepted,
       EXISTS (SELECT 1 FROM live l WHERE l.site_id = b.site_id) AS live,
       (SELECT count(*) FROM notified) AS notifications
FROM batches b
LEFT JOIN (SELECT batch, count(*) AS accepted FROM chosen GROUP BY batch) c
  USING (batch)
ORDER BY b.batch
