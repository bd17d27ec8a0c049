-- Overview of site $1 over a RangePlan: day rollups [$2, $3), hour rollups
-- [$4, $5) and [$6, $7), raw edges [$8, $9) and [$10, $11). One statement,
-- so one snapshot. Edges count only reduced events (not in the queue), so
-- edges and rollups describe the same state; the parts never overlap, so
-- nothing is subtracted.
WITH bucket_totals AS (
  SELECT coalesce(sum(events), 0) AS events,
         coalesce(sum(pageviews), 0) AS pageviews,
         coalesce(sum(sessions), 0) AS sessions,
         coalesce(sum(bounces), 0) AS bounces,
         coalesce(sum(duration_us), 0) AS duration_us
  FROM rollups
  WHERE site_id = $1 AND dimension = 0 AND key = ''
    AND ((granularity = 1 AND bucket_start >= $2 AND bucket_start < $3)
      OR (granularity = 0 AND ((bucket_start >= $4 AND bucket_start < $5)
                            OR (bucket_start >= $6 AND bucket_start < $7))))
), edge_events AS (
  SELECT e.type, e.visitor_id
  FROM events e
  WHERE e.site_id = $1
    AND ((e.occurred_at >= $8 AND e.occurred_at < $9)
      OR (e.occurred_at >= $10 AND e.occurred_at < $11))
    AND NOT EXISTS (SELECT 1 FROM event_queue q
                    WHERE q.site_id = e.site_id AND q.event_id = e.id)
), edge_sessions AS (
  SELECT count(*) AS sessions,
         count(*) FILTER (WHERE pageviews <= 1) AS bounces,
         coalesce(sum((extract(epoch FROM last_seen_at - started_at)
                       * 1000000)::bigint), 0) AS duration_us
  FROM sessions
  WHERE site_id = $1
    AND ((started_at >= $8 AND started_at < $9)
      OR (started_at >= $10 AND started_at < $11))
), range_visitors AS (
  SELECT count(DISTINCT visitor_id) AS visitors
  FROM (
    SELECT visitor_id FROM visitor_buckets
    WHERE site_id = $1
      AND ((granularity = 1 AND bucket_start >= $2 AND bucket_start < $3)
        OR (granularity = 0 AND ((bucket_start >= $4 AND bucket_start < $5)
                              OR (bucket_start >= $6 AND bucket_start < $7))))
    UNION ALL
    SELECT visitor_id FROM edge_events
  ) v
)
SELECT b.events + (SELECT count(*) FROM edge_events),
       b.pageviews + (SELECT count(*) FROM edge_events WHERE type = 1),
       b.sessions + s.sessions,
       b.bounces + s.bounces,
       b.duration_us + s.duration_us,
       v.visitors,
       (SELECT count(*) FROM event_queue
        WHERE site_id = $1 AND state = 'pending'),
       (extract(epoch FROM statement_timestamp()) * 1000000)::bigint
FROM bucket_totals b, edge_sessions s, range_visitors v
