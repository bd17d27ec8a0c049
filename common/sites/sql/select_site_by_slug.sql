SELECT site_id, slug, name, array_to_string(allowed_origins, E'\n'),
       session_timeout_ms, time_zone, raw_retention_ms,
       disabled_at IS NOT NULL,
       (extract(epoch FROM created_at) * 1000000)::bigint,
       array_to_string(property_allowlist, E'\n'),
       array_to_string(property_denylist, E'\n'),
       deleted_at IS NOT NULL
FROM sites
WHERE slug = $1
