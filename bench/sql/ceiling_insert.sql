-- pgbench script: the ceiling Ingest is compared with. One transaction
-- writes what an Ingest call of 100 events writes (their idempotency keys,
-- the events, their queue entries), as one multi-row statement straight
-- from SQL, with no gRPC, validation or JSON in between. Variables: :site
-- (pgbench -D site=..), :client_id (pgbench's own).
\set batch random(1, 2000000000)
WITH ids AS (
  INSERT INTO event_client_ids (site_id, client_event_id, occurred_at)
  SELECT :site, 'ceiling-' || :client_id || '-' || :batch || '-' || g,
         now() - g * interval '1 second'
  FROM generate_series(1, 100) g
  ON CONFLICT DO NOTHING
  RETURNING client_event_id, occurred_at
), stored AS (
  INSERT INTO events (site_id, client_event_id, type, name, occurred_at,
                      received_at, visitor_id, session_id, path)
  SELECT :site, client_event_id, 1, '', occurred_at, now(),
         'v' || right(client_event_id, 3), 's' || right(client_event_id, 3),
         '/p/' || right(client_event_id, 2)
  FROM ids
  RETURNING site_id, id, occurred_at
)
INSERT INTO event_queue (site_id, event_id, occurred_at)
SELECT site_id, id, occurred_at FROM stored;
