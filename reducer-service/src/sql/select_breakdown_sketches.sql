-- The distinct visitors ($5 & 1) and sessions ($5 & 2; NULL when not asked)
-- of the keys $4 (JSON array of strings) in the breakdown of site $1 by event dimension $3
-- over the RangePlan $2, as in select_breakdown_keys.sql: the union of the
-- key's rollup sketches and the sketch of its raw edges. Keys without events
-- in the range are absent.
--
-- Sketch unions cost tens of microseconds per row, so only the asked keys'
-- rows are read (key = ANY is part of each index range) and only the asked
-- counts are unioned (a FILTER skips reading the other sketch).
WITH p AS (
  SELECT *
  FROM jsonb_to_record($2::jsonb) AS p(
    d0 timestamptz, d1 timestamptz, h0 timestamptz, h1 timestamptz,
    h2 timestamptz, h3 timestamptz, r0 timestamptz, r1 timestamptz,
    r2 timestamptz, r3 timestamptz)
), w AS (
  SELECT array_agg(k) AS keys FROM jsonb_array_elements_text($4::jsonb) k
), parts AS (
  SELECT r.key, r.visitors_hll, r.sessions_hll
  FROM p, w, rollups r
  WHERE p.d0 < p.d1 AND r.site_id = $1 AND r.granularity = 1
    AND r.dimension = $3 AND r.key = ANY (w.keys)
    AND r.bucket_start >= p.d0 AND r.bucket_start < p.d1
  UNION ALL
  SELECT r.key, r.visitors_hll, r.sessions_hll
  FROM p, w, rollups r
  WHERE p.h0 < p.h1 AND r.site_id = $1 AND r.granularity = 0
    AND r.dimension = $3 AND r.key = ANY (w.keys)
    AND r.bucket_start >= p.h0 AND r.bucket_start < p.h1
  UNION ALL
  SELECT r.key, r.visitors_hll, r.sessions_hll
  FROM p, w, rollups r
  WHERE p.h2 < p.h3 AND r.site_id = $1 AND r.granularity = 0
    AND r.dimension = $3 AND r.key = ANY (w.keys)
    AND r.bucket_start >= p.h2 AND r.bucket_start < p.h3
  UNION ALL
  SELECT k.key,
         hll_add_agg(hll_hash_text(ev.visitor_id), 15, 5, -1, 1)
           FILTER (WHERE $5::integer & 1 <> 0),
         hll_add_agg(hll_hash_text(ev.session_id), 15, 5, -1, 1)
           FILTER (WHERE $5::integer & 2 <> 0)
  FROM p, w, events ev
  CROSS JOIN LATERAL (SELECT event_dimension_key(ev, $3::smallint) AS key) k
  WHERE (p.r0 < p.r1 OR p.r2 < p.r3) AND ev.site_id = $1
    AND ((ev.occurred_at >= p.r0 AND ev.occurred_at < p.r1)
      OR (ev.occurred_at >= p.r2 AND ev.occurred_at < p.r3))
    AND NOT ev.bot
    AND NOT EXISTS (SELECT 1 FROM event_queue q
                    WHERE q.site_id = ev.site_id AND q.event_id = ev.id)
    AND k.key = ANY (w.keys)
  GROUP BY k.key
)
SELECT key,
       CASE WHEN $5::integer & 1 <> 0 THEN coalesce(round(hll_cardinality(
         hll_union_agg(visitors_hll) FILTER (WHERE $5::integer & 1 <> 0))),
         0)::bigint END,
       CASE WHEN $5::integer & 2 <> 0 THEN coalesce(round(hll_cardinality(
         hll_union_agg(sessions_hll) FILTER (WHERE $5::integer & 2 <> 0))),
         0)::bigint END
FROM parts
GROUP BY key
