-- Every key of the breakdown of site $1 by event dimension $3
-- (rollups.dimension) over the RangePlan $2 (JSON object {d0, d1, h0, h1,
-- h2, h3, r0, r1, r2, r3} as in select_overview.sql), with its events and
-- pageviews: whole days and hours from rollup rows, the partial hours at the
-- edges from reduced raw events keyed by event_dimension_key() (migration
-- 0006), in one statement. No sketches: their unions are what a breakdown
-- costs, and BreakdownRanking (breakdown_ranking.h) asks
-- select_breakdown_sketches.sql for the few keys that can reach the page.
--
-- The first row always exists and carries the queue count and snapshot
-- time; its key is NULL when there are no keys. Each part of the plan is its
-- own index range, skipped when empty.
WITH p AS (
  SELECT *
  FROM jsonb_to_record($2::jsonb) AS p(
    d0 timestamptz, d1 timestamptz, h0 timestamptz, h1 timestamptz,
    h2 timestamptz, h3 timestamptz, r0 timestamptz, r1 timestamptz,
    r2 timestamptz, r3 timestamptz)
), parts AS (
  SELECT r.key, r.events, r.pageviews
  FROM p, rollups r
  WHERE p.d0 < p.d1 AND r.site_id = $1 AND r.granularity = 1
    AND r.dimension = $3 AND r.bucket_start >= p.d0 AND r.bucket_start < p.d1
  UNION ALL
  SELECT r.key, r.events, r.pageviews
  FROM p, rollups r
  WHERE p.h0 < p.h1 AND r.site_id = $1 AND r.granularity = 0
    AND r.dimension = $3 AND r.bucket_start >= p.h0 AND r.bucket_start < p.h1
  UNION ALL
  SELECT r.key, r.events, r.pageviews
  FROM p, rollups r
  WHERE p.h2 < p.h3 AND r.site_id = $1 AND r.granularity = 0
    AND r.dimension = $3 AND r.bucket_start >= p.h2 AND r.bucket_start < p.h3
  UNION ALL
  SELECT k.key, count(*), count(*) FILTER (WHERE ev.type = 1)
  FROM p, events ev
  CROSS JOIN LATERAL (SELECT event_dimension_key(ev, $3::smallint) AS key) k
  WHERE (p.r0 < p.r1 OR p.r2 < p.r3) AND ev.site_id = $1
    AND ((ev.occurred_at >= p.r0 AND ev.occurred_at < p.r1)
      OR (ev.occurred_at >= p.r2 AND ev.occurred_at < p.r3))
    AND NOT ev.bot
    AND NOT EXISTS (SELECT 1 FROM event_queue q
                    WHERE q.site_id = ev.site_id AND q.event_id = ev.id)
    AND k.key IS NOT NULL
  GROUP BY k.key
), totals AS (
  SELECT key, sum(events)::bigint AS events, sum(pageviews)::bigint AS pageviews
  FROM parts
  GROUP BY 1
  HAVING sum(events) > 0
)
SELECT totals.key, totals.events, totals.pageviews,
       (SELECT count(*) FROM event_queue
        WHERE site_id = $1 AND state = 'pending'),
       (extract(epoch FROM statement_timestamp()) * 1000000)::bigint
FROM (SELECT 1) AS one
LEFT JOIN totals ON true
