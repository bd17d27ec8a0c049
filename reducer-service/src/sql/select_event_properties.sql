-- The values of property $5 of site $1's reduced, non-bot TRACK events named
-- $4 in [$2, $3): per value (strings as they are, other JSON values as their
-- JSON text, null as 'null'), events, distinct visitors and distinct session
-- ids, by events descending then value in byte order, at most $6 rows. Read
-- from raw events. The first row always exists and carries the number of
-- events named $4 in the range (with or without the property), the queue
-- count and the snapshot time; its value is NULL when there are no rows.
WITH named AS (
  SELECT ev.visitor_id, ev.session_id, ev.properties -> $5 AS value
  FROM events ev
  WHERE ev.site_id = $1 AND ev.occurred_at >= $2 AND ev.occurred_at < $3
    AND ev.type = 2 AND ev.name = $4
    AND NOT ev.bot
    AND NOT EXISTS (SELECT 1 FROM event_queue q
                    WHERE q.site_id = ev.site_id AND q.event_id = ev.id)
), page AS (
  SELECT (CASE jsonb_typeof(value) WHEN 'string' THEN value #>> '{}'
                                   ELSE value::text END) COLLATE "C" AS value,
         count(*) AS events,
         count(DISTINCT visitor_id) AS visitors,
         count(DISTINCT session_id) AS sessions
  FROM named
  WHERE value IS NOT NULL
  GROUP BY 1
  ORDER BY 2 DESC, 1
  LIMIT $6
)
SELECT page.value, page.events, page.visitors, page.sessions,
       (SELECT count(*) FROM named),
       (SELECT count(*) FROM event_queue
        WHERE site_id = $1 AND state = 'pending'),
       (extract(epoch FROM statement_timestamp()) * 1000000)::bigint
FROM (SELECT 1) AS one
LEFT JOIN page ON true
ORDER BY page.events DESC, page.value
