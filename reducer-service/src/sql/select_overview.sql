-- Overview totals of site $1 for every RangePlan in $2 (JSON array of
-- {i, d0, d1, h0, h1, h2, h3, r0, r1, r2, r3, u0, u1, u2, u3, s}: day
-- rollups [d0, d1), hour rollups [h0, h1) and [h2, h3), raw edges [r0, r1)
-- and [r2, r3); for the visitor sketches of the days, the day rows of
-- [u0, u1) and [u2, u3) and the visitor spans s (array of {n: days, t:
-- span_start}, migration 0009), which together cover [d0, d1)), one row
-- per plan in i order. One statement, so every plan is read in the same
-- snapshot. Edges count only reduced events (not in the queue), so edges
-- and rollups describe the same state; the parts of a plan never overlap,
-- so nothing is subtracted. The queue count and the snapshot time are the
-- same on every row.
--
-- Distinct visitors: a plan that is exactly one rollup row with no event in
-- its edges (a whole hour or day: every bucket of a daily or hourly time
-- series) takes the row's exact `visitors` counter (kept by the reducer
-- from visitor_buckets). Any other plan unions the visitor sketches of its
-- hour rows, end days and spans with a sketch of the edges' visitor ids
-- (exact up to 2560 distinct, an estimate above; migration 0006); only
-- those plans pay for reading sketches, a few per plan however long.
WITH plans AS (
  SELECT *
  FROM jsonb_to_recordset($2::jsonb) AS p(
    i integer, d0 timestamptz, d1 timestamptz, h0 timestamptz,
    h1 timestamptz, h2 timestamptz, h3 timestamptz, r0 timestamptz,
    r1 timestamptz, r2 timestamptz, r3 timestamptz, u0 timestamptz,
    u1 timestamptz, u2 timestamptz, u3 timestamptz, s jsonb)
)
SELECT p.i,
       b.events + e.events,
       b.pageviews + e.pageviews,
       b.sessions + s.sessions,
       b.bounces + s.bounces,
       b.duration_us + s.duration_us,
       CASE
         WHEN b.n = 0 AND e.events = 0 THEN 0
         WHEN b.n = 1 AND e.events = 0 THEN b.visitors
         ELSE (
           SELECT coalesce(round(hll_cardinality(hll_union_agg(u.h))), 0)
           FROM (
             -- One index range per part (an OR inside one part would
             -- scan every day row of the site).
             SELECT r.visitors_hll
             FROM rollups r
             WHERE r.site_id = $1 AND r.dimension = 0 AND r.key = ''
               AND ((r.granularity = 1 AND r.bucket_start >= p.u0
                     AND r.bucket_start < p.u1)
                 OR (r.granularity = 1 AND r.bucket_start >= p.u2
                     AND r.bucket_start < p.u3)
                 OR (r.granularity = 0 AND r.bucket_start >= p.h0
                     AND r.bucket_start < p.h1)
                 OR (r.granularity = 0 AND r.bucket_start >= p.h2
                     AND r.bucket_start < p.h3))
             UNION ALL
             SELECT vs.visitors_hll
             FROM jsonb_to_recordset(p.s) AS x(n smallint, t timestamptz)
             JOIN visitor_spans vs ON vs.site_id = $1 AND vs.days = x.n
                                  AND vs.span_start = x.t
             UNION ALL
             SELECT e.visitors_hll
           ) AS u(h))::bigint
       END,
       (SELECT count(*) FROM event_queue
        WHERE site_id = $1 AND state = 'pending'),
       (extract(epoch FROM statement_timestamp()) * 1000000)::bigint
FROM plans p
CROSS JOIN LATERAL (
  SELECT count(*) AS n,
         coalesce(sum(r.events), 0) AS events,
         coalesce(sum(r.pageviews), 0) AS pageviews,
         coalesce(sum(r.sessions), 0) AS sessions,
         coalesce(sum(r.bounces), 0) AS bounces,
         coalesce(sum(r.duration_us), 0) AS duration_us,
         coalesce(sum(r.visitors), 0) AS visitors
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
    AND (p.r0 < p.r1 OR p.r2 < p.r3)
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
    AND (p.r0 < p.r1 OR p.r2 < p.r3)
    AND ((se.started_at >= p.r0 AND se.started_at < p.r1)
      OR (se.started_at >= p.r2 AND se.started_at < p.r3))
) s
ORDER BY p.i
