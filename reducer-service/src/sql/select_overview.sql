-- Overview totals of site $1 for every RangePlan in $2 (JSON array of
-- {i, d0, d1, h0, h1, h2, h3, r0, r1, r2, r3}: day rollups [d0, d1), hour
-- rollups [h0, h1) and [h2, h3), raw edges [r0, r1) and [r2, r3)), one row
-- per plan in i order. One statement, so every plan is read in the same
-- snapshot. Edges count only reduced events (not in the queue), so edges
-- and rollups describe the same state; the parts of a plan never overlap,
-- so nothing is subtracted. Distinct visitors are the union of the rollup
-- rows' visitor sketches and a sketch of the edges' visitor ids (exact up to
-- 2560 distinct, an estimate above; migration 0006). The queue count and
-- the snapshot time are the same on every row.
WITH plans AS (
  SELECT *
  FROM jsonb_to_recordset($2::jsonb) AS p(
    i integer, d0 timestamptz, d1 timestamptz, h0 timestamptz,
    h1 timestamptz, h2 timestamptz, h3 timestamptz, r0 timestamptz,
    r1 timestamptz, r2 timestamptz, r3 timestamptz)
)
SELECT p.i,
       b.events + e.events,
       b.pageviews + e.pageviews,
       b.sessions + s.sessions,
       b.bounces + s.bounces,
       b.duration_us + s.duration_us,
       coalesce(round(hll_cardinality(
         coalesce(hll_union(b.visitors_hll, e.visitors_hll), b.visitors_hll,
                  e.visitors_hll))), 0)::bigint,
       (SELECT count(*) FROM event_queue
        WHERE site_id = $1 AND state = 'pending'),
       (extract(epoch FROM statement_timestamp()) * 1000000)::bigint
FROM plans p
CROSS JOIN LATERAL (
  SELECT coalesce(sum(r.events), 0) AS events,
         coalesce(sum(r.pageviews), 0) AS pageviews,
         coalesce(sum(r.sessions), 0) AS sessions,
         coalesce(sum(r.bounces), 0) AS bounces,
         coalesce(sum(r.duration_us), 0) AS duration_us,
         hll_union_agg(r.visitors_hll) AS visitors_hll
  FROM rollups r
  WHERE r.site_id = $1 AND r.dimension = 0 AND r.key = ''
    AND ((r.granularity = 1 AND r.bucket_start >= p.d0 AND r.bucket_start < p.d1)
      OR (r.granularity = 0
          AND ((r.bucket_start >= p.h0 AND r.bucket_start < p.h1)
            OR (r.bucket_start >= p.h2 AND r.bucket_start < p.h3))))
) b
CROSS JOIN LATERAL (
  SELECT count(*) AS events,
         count(*) FILTER (WHERE ev.type = 1) AS pageviews,
         hll_add_agg(hll_hash_text(ev.visitor_id), 15, 5, -1, 1)
           AS visitors_hll
  FROM events ev
  WHERE ev.site_id = $1
    AND ((ev.occurred_at >= p.r0 AND ev.occurred_at < p.r1)
      OR (ev.occurred_at >= p.r2 AND ev.occurred_at < p.r3))
    AND NOT ev.bot
    AND NOT EXISTS (SELECT 1 FROM event_queue q
                    WHERE q.site_id = ev.site_id AND q.event_id = ev.id)
) e
CROSS JOIN LATERAL (
  SELECT count(*) AS sessions,
         count(*) FILTER (WHERE se.pageviews <= 1) AS bounces,
         coalesce(sum((extract(epoch FROM se.last_seen_at - se.started_at)
                       * 1000000)::bigint), 0) AS duration_us
  FROM sessions se
  WHERE se.site_id = $1
    AND ((se.started_at >= p.r0 AND se.started_at < p.r1)
      OR (se.started_at >= p.r2 AND se.started_at < p.r3))
) s
ORDER BY p.i
