-- One page of a breakdown of site $1 by event dimension $3 (rollups.dimension)
-- over the RangePlan $2 (JSON object {d0, d1, h0, h1, h2, h3, r0, r1, r2,
-- r3} as in select_overview.sql): whole days and hours from rollup rows, the
-- partial hours at the edges from reduced raw events keyed by
-- event_dimension_key() (migration 0006), all in one statement. Per key:
-- events, pageviews, and the distinct visitor and session ids of the union
-- of the rows' sketches and the edges' sketch.
--
-- Sorted by metric $4 (2 events, 3 pageviews, 4 sessions, else visitors)
-- descending, then key in byte order; the page starts after ($5, $6) (sort
-- value and key of the previous page's last row; $5 NULL for the first page)
-- and holds at most $7 rows. The first row always exists and carries the
-- queue count and snapshot time; its key is NULL when the page is empty.
--
-- Sketch unions are what costs (tens of microseconds per row), so they are
-- done only where needed: the sort metric's for every key, the other
-- distinct count for the page's keys only. Each part of the plan is its own
-- index range, skipped when empty.
WITH p AS (
  SELECT *
  FROM jsonb_to_record($2::jsonb) AS p(
    d0 timestamptz, d1 timestamptz, h0 timestamptz, h1 timestamptz,
    h2 timestamptz, h3 timestamptz, r0 timestamptz, r1 timestamptz,
    r2 timestamptz, r3 timestamptz)
), parts AS (
  SELECT r.key, r.events, r.pageviews, r.visitors_hll, r.sessions_hll
  FROM p, rollups r
  WHERE p.d0 < p.d1 AND r.site_id = $1 AND r.granularity = 1
    AND r.dimension = $3 AND r.bucket_start >= p.d0 AND r.bucket_start < p.d1
  UNION ALL
  SELECT r.key, r.events, r.pageviews, r.visitors_hll, r.sessions_hll
  FROM p, rollups r
  WHERE p.h0 < p.h1 AND r.site_id = $1 AND r.granularity = 0
    AND r.dimension = $3 AND r.bucket_start >= p.h0 AND r.bucket_start < p.h1
  UNION ALL
  SELECT r.key, r.events, r.pageviews, r.visitors_hll, r.sessions_hll
  FROM p, rollups r
  WHERE p.h2 < p.h3 AND r.site_id = $1 AND r.granularity = 0
    AND r.dimension = $3 AND r.bucket_start >= p.h2 AND r.bucket_start < p.h3
  UNION ALL
  SELECT k.key, count(*), count(*) FILTER (WHERE ev.type = 1),
         hll_add_agg(hll_hash_text(ev.visitor_id), 15, 5, -1, 1),
         hll_add_agg(hll_hash_text(ev.session_id), 15, 5, -1, 1)
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
  SELECT key COLLATE "C" AS key,
         sum(events)::bigint AS events,
         sum(pageviews)::bigint AS pageviews,
         hll_union_agg(visitors_hll)
           FILTER (WHERE $4::integer NOT IN (2, 3, 4)) AS visitors_hll,
         hll_union_agg(sessions_hll) FILTER (WHERE $4::integer = 4)
           AS sessions_hll
  FROM parts
  GROUP BY 1
  HAVING sum(events) > 0
), ranked AS (
  SELECT *,
         CASE $4::integer
           WHEN 2 THEN events
           WHEN 3 THEN pageviews
           WHEN 4 THEN coalesce(round(hll_cardinality(sessions_hll)), 0)
           ELSE coalesce(round(hll_cardinality(visitors_hll)), 0)
         END::bigint AS v
  FROM totals
), page AS (
  SELECT * FROM ranked
  WHERE $5::bigint IS NULL OR v < $5
     OR (v = $5 AND key > ($6::text COLLATE "C"))
  ORDER BY v DESC, key
  LIMIT $7
), page_sketches AS (
  -- The distinct counts the sort did not need, for the page's keys.
  SELECT x.key COLLATE "C" AS key,
         hll_union_agg(x.visitors_hll)
           FILTER (WHERE $4::integer IN (2, 3, 4)) AS visitors_hll,
         hll_union_agg(x.sessions_hll) FILTER (WHERE $4::integer <> 4)
           AS sessions_hll
  FROM parts x
  WHERE x.key COLLATE "C" IN (SELECT key FROM page)
  GROUP BY 1
)
SELECT page.key, page.events, page.pageviews,
       coalesce(round(hll_cardinality(
         coalesce(page.visitors_hll, ps.visitors_hll))), 0)::bigint,
       coalesce(round(hll_cardinality(
         coalesce(page.sessions_hll, ps.sessions_hll))), 0)::bigint,
       page.v,
       (SELECT count(*) FROM event_queue
        WHERE site_id = $1 AND state = 'pending'),
       (extract(epoch FROM statement_timestamp()) * 1000000)::bigint
FROM (SELECT 1) AS one
LEFT JOIN page ON true
LEFT JOIN page_sketches ps ON ps.key = page.key
ORDER BY page.v DESC, page.key
