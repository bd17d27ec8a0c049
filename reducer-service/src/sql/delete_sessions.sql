-- Removes sessions merged into others ($1: JSON array of
-- {site_id, session_id, started_at}).
DELETE FROM sessions s
USING jsonb_to_recordset($1::jsonb) AS x(site_id bigint, session_id text,
                                         started_at timestamptz)
WHERE s.site_id = x.site_id AND s.session_id = x.session_id
  AND s.started_at = x.started_at
