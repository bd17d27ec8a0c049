-- Breakdowns and distinct counts at scale.
--
-- 1. Rollup rows carry HyperLogLog sketches (Debian's postgresql-15-hll) of
--    the visitor ids and session ids of their events, so distinct visitors
--    (and sessions per breakdown row) over any range are the union of the
--    range's rollup sketches and the sketch of its raw edges: no scan of
--    per-visitor rows. Every sketch uses log2m 15, regwidth 5, automatic
--    explicit threshold, sparse on: exact (a set of 64-bit hashes) up to
--    2560 distinct ids, then an estimate with 0.57% standard error. Sketches
--    of different parameters cannot be unioned (hll raises an error), so a
--    drift between writers and readers fails loudly. NULL means empty.
--    Only events contribute to sketches (a sketch cannot forget), so the
--    rows' session counters, which move when sessions merge, stay additive.
--    Rows written before this migration have no sketch: RebuildRollups
--    recomputes them.
-- 2. New rollup dimensions: 7 device, 8 browser, 9 os, 10 country (see
--    migration 0001 for 0..6).
-- 3. events.referrer_host: the normalised host of the referrer URL, computed
--    at ingest by the same C++ function the reducer uses for its rollups, so
--    the raw edges of a referrer breakdown group exactly like the rollups
--    without a second implementation in SQL. Events stored before this
--    migration have ''.
CREATE EXTENSION IF NOT EXISTS hll;

ALTER TABLE rollups ADD COLUMN visitors_hll hll;
ALTER TABLE rollups ADD COLUMN sessions_hll hll;

ALTER TABLE events ADD COLUMN referrer_host text NOT NULL DEFAULT '';

-- The key event `ev` has in rollup dimension `dimension`, or NULL when it
-- does not count there. Mirrors AddEventCounts (common/rollups/rollup_model.cc)
-- for the statements that read raw events (range edges, rollup audit).
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

-- The sketches the rollup rows of site `site` with buckets in [from_time,
-- to_time) should hold, recomputed from its reduced, non-bot raw events (the
-- rollup audit: VerifyRollups compares, RebuildRollups writes them).
CREATE FUNCTION rollup_sketches_of_events(site bigint, from_time timestamptz,
                                          to_time timestamptz)
RETURNS TABLE (granularity smallint, dimension smallint, key text,
               bucket_start timestamptz, visitors_hll hll, sessions_hll hll)
LANGUAGE sql STABLE
AS $$
  SELECT g.granularity, d.dimension, k.key,
         date_trunc(g.unit, e.occurred_at, 'UTC'),
         hll_add_agg(hll_hash_text(e.visitor_id), 15, 5, -1, 1),
         hll_add_agg(hll_hash_text(e.session_id), 15, 5, -1, 1)
  FROM events e
  CROSS JOIN (VALUES (0::smallint, 'hour'), (1::smallint, 'day'))
    AS g(granularity, unit)
  CROSS JOIN LATERAL (SELECT n::smallint AS dimension
                      FROM generate_series(0, 10) n) d
  CROSS JOIN LATERAL (SELECT event_dimension_key(e, d.dimension) AS key) k
  WHERE e.site_id = site AND e.occurred_at >= from_time
    AND e.occurred_at < to_time
    AND NOT e.bot
    AND NOT EXISTS (SELECT 1 FROM event_queue q
                    WHERE q.site_id = e.site_id AND q.event_id = e.id)
    AND k.key IS NOT NULL
  GROUP BY 1, 2, 3, 4
$$;
