-- Widens visitors' first/last seen and applies the newest identify
-- ($1: JSON array of rows, identified_at null when the batch had none).
INSERT INTO visitors AS v (site_id, visitor_id, first_seen_at, last_seen_at,
                           user_id, identified_at, traits)
SELECT site_id, visitor_id, first_seen_at, last_seen_at,
       coalesce(user_id, ''), identified_at, coalesce(traits, '{}')
FROM jsonb_to_recordset($1::jsonb) AS x(site_id bigint, visitor_id text,
                                        first_seen_at timestamptz,
                                        last_seen_at timestamptz,
                                        user_id text,
                                        identified_at timestamptz,
                                        traits jsonb)
ORDER BY site_id, visitor_id
ON CONFLICT (site_id, visitor_id) DO UPDATE SET
  first_seen_at = least(v.first_seen_at, excluded.first_seen_at),
  last_seen_at = greatest(v.last_seen_at, excluded.last_seen_at),
  user_id = CASE
    WHEN excluded.identified_at IS NOT NULL
     AND (v.identified_at IS NULL OR excluded.identified_at >= v.identified_at)
    THEN excluded.user_id ELSE v.user_id END,
  identified_at = CASE
    WHEN v.identified_at IS NULL THEN excluded.identified_at
    WHEN excluded.identified_at IS NULL THEN v.identified_at
    ELSE greatest(v.identified_at, excluded.identified_at) END,
  -- Newer traits win key by key.
  traits = CASE
    WHEN excluded.identified_at IS NULL THEN v.traits
    WHEN v.identified_at IS NULL OR excluded.identified_at >= v.identified_at
    THEN v.traits || excluded.traits
    ELSE excluded.traits || v.traits END
