-- One page of the entry_page ($3 = 1) or exit_page ($3 = 2) breakdown of
-- site $1: the sessions that started in [from, to) of $2 (JSON object with
-- `from` and `to`; the rest of the RangePlan is unused) and have a pageview,
-- grouped by the path of their first / last pageview: sessions, their events
-- and pageviews, and their distinct visitors (exact). Read from the sessions
-- table, whose rows move between keys as late events arrive, which additive
-- rollups and sketches could not follow for distinct visitors.
--
-- Sorting, paging and the first row as in select_breakdown.sql.
WITH p AS (
  SELECT * FROM jsonb_to_record($2::jsonb) AS p("from" timestamptz,
                                                "to" timestamptz)
), totals AS (
  SELECT (CASE $3::integer WHEN 1 THEN se.entry_path ELSE se.exit_path END)
           COLLATE "C" AS key,
         sum(se.events)::bigint AS events,
         sum(se.pageviews)::bigint AS pageviews,
         count(DISTINCT se.visitor_id) AS visitors,
         count(*) AS sessions
  FROM p, sessions se
  WHERE se.site_id = $1 AND se.started_at >= p."from"
    AND se.started_at < p."to" AND se.entry_at IS NOT NULL
  GROUP BY 1
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
