-- Key rotation: live keys of kind $2 of site $1 stop working at now() + $3
-- milliseconds (the grace period; 0 ends them at once). Returns how many.
WITH expired AS (
  UPDATE site_keys
  SET expires_at = now() + $3 * interval '1 millisecond'
  WHERE site_id = $1 AND kind = $2
    AND (expires_at IS NULL OR expires_at > now() + $3 * interval '1 millisecond')
  RETURNING 1
)
SELECT count(*) FROM expired
