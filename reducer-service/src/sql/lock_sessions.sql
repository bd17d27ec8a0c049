-- Serialises reducers working on the same session ids ($1: JSON array of
-- {site_id, session_id}) until the transaction ends. Locks are taken in one
-- global order, so two reducers cannot deadlock on them.
SELECT count(pg_advisory_xact_lock(k))
FROM (
  SELECT DISTINCT hashtextextended(x.site_id::text || '/' || x.session_id, 0) AS k
  FROM jsonb_to_recordset($1::jsonb) AS x(site_id bigint, session_id text)
  ORDER BY k
) ordered
