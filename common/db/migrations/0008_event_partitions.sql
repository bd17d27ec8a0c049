-- Retention (reducer-service RetentionPass): raw events partitioned by time.
--
-- 1. `events` becomes a table partitioned by RANGE (occurred_at), one
--    partition per UTC month named events_YYYYMM. Expired months go by
--    dropping their partition, never by a long DELETE; a site with a shorter
--    raw retention than the longest one loses its older rows in bounded
--    batches. ensure_event_partitions() creates months ahead of time (the
--    retention pass keeps three months ready; AdminService calls it when a
--    site's retention grows, so an accepted late event always has a home).
--    There is no DEFAULT partition: attaching a month next to one would
--    have to scan it.
-- 2. A partitioned table's unique keys must contain the partition key, so
--    (site_id, client_event_id) can no longer be unique on `events`: a retry
--    that let the server stamp occurred_at would be stored twice. The
--    idempotency keys move to event_client_ids, unpartitioned, expired with
--    their events (same occurred_at) by the retention pass.
-- 3. The primary key becomes (site_id, id, occurred_at). event_queue gains
--    occurred_at, so a reduction pass finds each claimed event in its one
--    partition (run-time pruning of the join) instead of probing every month.
-- 4. event_dimension_key() takes the new row type; its body is migration
--    0006's.
-- 5. Hour rollups expire by bucket (rollups_hours_by_bucket), so a retention
--    step reads only expired rows instead of every hour row of the site.
--
-- Existing rows are copied: on a large installation this migration takes as
-- long as rewriting `events` once (docs/scaling.md).

ALTER TABLE events RENAME TO events_unpartitioned;
ALTER INDEX events_pkey RENAME TO events_unpartitioned_pkey;
ALTER INDEX events_by_time RENAME TO events_unpartitioned_by_time;
ALTER INDEX events_client_event_id_key
  RENAME TO events_unpartitioned_client_event_id_key;
ALTER SEQUENCE events_id_seq RENAME TO events_unpartitioned_id_seq;

CREATE SEQUENCE events_id_seq AS bigint;
SELECT setval('events_id_seq', coalesce(max(id), 0) + 1, false)
FROM events_unpartitioned;

CREATE TABLE events (
  site_id bigint NOT NULL,
  id bigint NOT NULL DEFAULT nextval('events_id_seq'),
  client_event_id text,
  type smallint NOT NULL CHECK (type IN (1, 2, 3)),
  name text NOT NULL DEFAULT '',
  occurred_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL,
  visitor_id text NOT NULL,
  session_id text NOT NULL,
  user_id text NOT NULL DEFAULT '',
  path text NOT NULL DEFAULT '',
  title text NOT NULL DEFAULT '',
  referrer text NOT NULL DEFAULT '',
  properties jsonb NOT NULL DEFAULT '{}',
  source text NOT NULL DEFAULT '',
  device text NOT NULL DEFAULT '',
  browser text NOT NULL DEFAULT '',
  os text NOT NULL DEFAULT '',
  country text NOT NULL DEFAULT '',
  utm_source text NOT NULL DEFAULT '',
  utm_medium text NOT NULL DEFAULT '',
  utm_campaign text NOT NULL DEFAULT '',
  user_agent text NOT NULL DEFAULT '',
  bot boolean NOT NULL DEFAULT false,
  referrer_host text NOT NULL DEFAULT '',
  PRIMARY KEY (site_id, id, occurred_at)
) PARTITION BY RANGE (occurred_at);
ALTER SEQUENCE events_id_seq OWNED BY events.id;
CREATE INDEX events_by_time ON events (site_id, occurred_at);

-- The UTC month that starts partition `name` (events_YYYYMM), or NULL for a
-- name that is not one of ours.
CREATE FUNCTION event_partition_month(name text)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE
AS $$
  SELECT CASE WHEN name ~ '^events_[0-9]{6}$'
    THEN to_date(substr(name, 8), 'YYYYMM')::timestamp AT TIME ZONE 'UTC'
  END
$$;

-- Creates the missing monthly partitions covering [from_time, to_time) and
-- returns how many. A new month is created as a plain table and then
-- attached, which locks `events` only in SHARE UPDATE EXCLUSIVE mode:
-- inserts and reads go on meanwhile. Callers serialise on
-- db::PartitionMaintenanceLockKey() first (two creators of one month would
-- collide).
CREATE FUNCTION ensure_event_partitions(from_time timestamptz,
                                        to_time timestamptz)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
  -- Months in UTC wall time: timestamptz + interval would follow the
  -- session's time zone.
  month timestamp := date_trunc('month', from_time AT TIME ZONE 'UTC');
  created integer := 0;
  part text;
BEGIN
  WHILE (month AT TIME ZONE 'UTC') < to_time LOOP
    part := 'events_' || to_char(month, 'YYYYMM');
    IF to_regclass(part) IS NULL THEN
      EXECUTE format('CREATE TABLE %I (LIKE events INCLUDING DEFAULTS '
                     'INCLUDING CONSTRAINTS)', part);
      EXECUTE format('ALTER TABLE events ATTACH PARTITION %I '
                     'FOR VALUES FROM (%L) TO (%L)', part,
                     month AT TIME ZONE 'UTC',
                     (month + interval '1 month') AT TIME ZONE 'UTC');
      created := created + 1;
    END IF;
    month := month + interval '1 month';
  END LOOP;
  RETURN created;
END
$$;

-- Drops the monthly partitions that end at or before `cutoff` and hold no
-- queued event (pending or dead: a dead letter keeps its month until an
-- operator deals with it), oldest first, at most `max_drops`; returns their
-- names. Dropping a partition takes an ACCESS EXCLUSIVE lock on `events`
-- for an instant: the caller sets a short lock_timeout so it never queues
-- ingest behind a long query, and retries on a later pass.
CREATE FUNCTION drop_expired_event_partitions(cutoff timestamptz,
                                              max_drops integer)
RETURNS SETOF text
LANGUAGE plpgsql
AS $$
DECLARE
  part record;
BEGIN
  FOR part IN
    SELECT c.relname AS name, event_partition_month(c.relname) AS month
    FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'events'::regclass
      AND event_partition_month(c.relname) IS NOT NULL
      AND (event_partition_month(c.relname) AT TIME ZONE 'UTC'
           + interval '1 month') AT TIME ZONE 'UTC' <= cutoff
    ORDER BY 2
    LIMIT max_drops
  LOOP
    CONTINUE WHEN EXISTS (
      SELECT 1 FROM event_queue q
      WHERE q.occurred_at >= part.month
        AND q.occurred_at < (part.month AT TIME ZONE 'UTC'
                             + interval '1 month') AT TIME ZONE 'UTC');
    EXECUTE format('DROP TABLE %I', part.name);
    RETURN NEXT part.name;
  END LOOP;
END
$$;

-- Every month the existing rows need, and the ones sites may still receive
-- (their raw retention back, three months ahead).
SELECT ensure_event_partitions(
  least((SELECT min(occurred_at) FROM events_unpartitioned),
        now() - (SELECT coalesce(max(raw_retention_ms), 34560000000)
                 FROM sites) * interval '1 millisecond'),
  now() + interval '3 months');

INSERT INTO events
SELECT site_id, id, client_event_id, type, name, occurred_at, received_at,
       visitor_id, session_id, user_id, path, title, referrer, properties,
       source, device, browser, os, country, utm_source, utm_medium,
       utm_campaign, user_agent, bot, referrer_host
FROM events_unpartitioned;

-- Idempotency keys (analytics.v1.Event.event_id) of stored events.
CREATE TABLE event_client_ids (
  site_id bigint NOT NULL,
  client_event_id text NOT NULL,
  -- The event's; the retention pass expires the key with its event.
  occurred_at timestamptz NOT NULL,
  PRIMARY KEY (site_id, client_event_id)
);
CREATE INDEX event_client_ids_by_time
  ON event_client_ids (site_id, occurred_at);
INSERT INTO event_client_ids (site_id, client_event_id, occurred_at)
SELECT site_id, client_event_id, occurred_at
FROM events_unpartitioned
WHERE client_event_id IS NOT NULL;

ALTER TABLE event_queue ADD COLUMN occurred_at timestamptz;
UPDATE event_queue q SET occurred_at = e.occurred_at
FROM events_unpartitioned e
WHERE e.site_id = q.site_id AND e.id = q.event_id;
-- Entries whose event is gone (a deleted site's, mid-purge): the claim
-- treats a missing event as gone either way.
UPDATE event_queue SET occurred_at = '-infinity' WHERE occurred_at IS NULL;
ALTER TABLE event_queue ALTER COLUMN occurred_at SET NOT NULL;

CREATE INDEX rollups_hours_by_bucket ON rollups (site_id, bucket_start)
  WHERE granularity = 0;

DROP FUNCTION event_dimension_key(events_unpartitioned, smallint);
DROP TABLE events_unpartitioned;

-- Migration 0006's function, for the new row type.
CREATE FUNCTION event_dimension_key(ev events, dimension smallint)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE dimension
    WHEN 0 THEN ''
    WHEN 1 THEN CASE WHEN ev.type = 2 THEN ev.name END
    WHEN 2 THEN CASE WHEN ev.type = 1 THEN ev.path END
    WHEN 3 THEN nullif(ev.referrer_host, '')
    WHEN 4 THEN nullif(ev.utm_source, '')
    WHEN 5 THEN nullif(ev.utm_medium, '')
    WHEN 6 THEN nullif(ev.utm_campaign, '')
    WHEN 7 THEN nullif(ev.device, '')
    WHEN 8 THEN nullif(ev.browser, '')
    WHEN 9 THEN nullif(ev.os, '')
    WHEN 10 THEN nullif(ev.country, '')
  END
$$;
