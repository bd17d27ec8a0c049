-- Disables ($2 true; the first disabling time is kept) or enables site $1
-- unless it is deleted. No row: no such live site.
UPDATE sites
SET disabled_at = CASE WHEN $2::boolean THEN coalesce(disabled_at, now()) END
WHERE site_id = $1 AND deleted_at IS NULL
RETURNING site_id, slug, name, array_to_string(allowed_origins, E'\n'),
          session_timeout_ms, time_zone, raw_retention_ms,
          disabled_at IS NOT NULL,
          (extract(epoch FROM created_at) * 1000000)::bigint,
          array_to_string(property_allowlist, E'\n'),
          array_to_string(property_denylist, E'\n'),
          deleted_at IS NOT NULL
