-- First step of DeleteSite: site $1 is deleted (and disabled) from now on,
-- and every key of it stops working at once. Idempotent; no row: no such
-- site.
WITH revoked AS (
  UPDATE site_keys SET expires_at = now()
  WHERE site_id = $1 AND (expires_at IS NULL OR expires_at > now())
  RETURNING 1
)
UPDATE sites
SET deleted_at = coalesce(deleted_at, now()),
    disabled_at = coalesce(disabled_at, now())
WHERE site_id = $1
RETURNING site_id, (SELECT count(*) FROM revoked)
