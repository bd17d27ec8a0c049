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
WITH p AS (
  SELECT *
  FROM jsonb_to_record($2::jsonb) AS p(
    d0 timestamptz, d1 timestamptz, h0 timestamptz, h1 timestamptz,
    h2 timestamptz, h3 timestamptz, r0 timestamptz, r1 timestamptz,
    r2 timestamptz, r3 timestamptz)
), parts AS (
  SELECT r.key, r.events, r.pageviews, r.visitors_hll, r.sessions_hll
  FROM p, rollups r
  WHERE r.site_id = $1 AND r.dimension = $3
    AND ((r.granularity = 1 AND r.bucket_start >= p.d0 AND r.bucket_start < p.d1)
      OR (r.granularity = 0
          AND ((r.bucket_start >= p.h0 AND r.bucket_start < p.h1)
            OR (r.bucket_start >= p.h2 AND r.bucket_start < p.h3))))
  UNION ALL
  SELECT k.key, count(*), count(*) FILTER (WHERE ev.type = 1),
         hll_add_agg(hll_hash_text(ev.visitor_id), 15, 5, -1, 1),
         hll_add_agg(hll_hash_text(ev.session_id), 15, 5, -1, 1)
  FROM p, events ev
  CROSS JOIN LATERAL (SELECT event_dimension_key(ev, $3::smallint) AS key) k
  WHERE ev.site_id = $1
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
         coalesce(round(hll_cardinality(hll_union_agg(visitors_hll))), 0)::bigint
           AS visitors,
         coalesce(round(hll_cardinality(hll_union_agg(sessions_hll))), 0)::bigint
           AS sessions
  FROM parts
  GROUP BY 1
  HAVING sum(events) > 0
), ranked AS (
  SELECT *, CASE $4::integer WHEN 2 THEN events WHEN 3 THEN pageviews
                             WHEN 4 THEN sessions ELSE visitors END AS v
  FROM totals
), page AS (
  SELECT * FROM ranked
  WHERE $5::bigint IS NULL OR v < $5
     OR (v = $5 AND key > ($6::text COLLATE "C"))
  ORDER BY v DESC, key
  LIMIT $7
)
SELECT page.key, page.events, page.pageviews, page.visitors, page.sessions,
       page.v,
       (SELECT count(*) FROM event_queue
        WHERE site_id = $1 AND state = 'pending'),
       (extract(epoch FROM statement_timestamp()) * 1000000)::bigint
FROM (SELECT 1) AS one
LEFT JOIN page ON true
ORDER BY page.v DESC, page.key
