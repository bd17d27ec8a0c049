-- Adds deltas to rollup rows this transaction locked with lock_rollups ($1:
-- JSON array). The CHECK (>= 0) constraints apply to the resulting rows, so
-- a correction that would make a count negative fails the pass. The ids in
-- visitor_ids / session_ids join the row's sketches (parameters as in
-- migration 0006).
UPDATE rollups AS r SET
  events = r.events + x.events,
  pageviews = r.pageviews + x.pageviews,
  visitors = r.visitors + x.visitors,
  sessions = r.sessions + x.sessions,
  bounces = r.bounces + x.bounces,
  duration_us = r.duration_us + x.duration_us,
  -- A union that adds nothing (ids the sketch already holds, which is most
  -- of them once a bucket is busy) keeps the stored value as it is, so the
  -- row's TOASTed sketch is not compressed and written out again.
  visitors_hll = CASE
    WHEN x.visitors_hll IS NULL THEN r.visitors_hll
    WHEN r.visitors_hll IS NULL THEN x.visitors_hll
    ELSE (SELECT CASE WHEN u = r.visitors_hll THEN r.visitors_hll ELSE u END
          FROM hll_union(r.visitors_hll, x.visitors_hll) u)
  END,
  sessions_hll = CASE
    WHEN x.sessions_hll IS NULL THEN r.sessions_hll
    WHEN r.sessions_hll IS NULL THEN x.sessions_hll
    ELSE (SELECT CASE WHEN u = r.sessions_hll THEN r.sessions_hll ELSE u END
          FROM hll_union(r.sessions_hll, x.sessions_hll) u)
  END
FROM (
  SELECT x.*,
         (SELECT hll_add_agg(hll_hash_text(v), 15, 5, -1, 1)
          FROM jsonb_array_elements_text(x.visitor_ids) v) AS visitors_hll,
         (SELECT hll_add_agg(hll_hash_text(v), 15, 5, -1, 1)
          FROM jsonb_array_elements_text(x.session_ids) v) AS sessions_hll
  FROM jsonb_to_recordset($1::jsonb) AS x(
    site_id bigint, granularity smallint, dimension smallint, key text,
    bucket_start timestamptz, events bigint, pageviews bigint,
    visitors bigint, sessions bigint, bounces bigint, duration_us bigint,
    visitor_ids jsonb, session_ids jsonb)
) AS x
WHERE r.site_id = x.site_id AND r.granularity = x.granularity
  AND r.dimension = x.dimension AND r.key = x.key
  AND r.bucket_start = x.bucket_start
