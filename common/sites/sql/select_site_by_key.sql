-- A key identifies its site while it has not expired (rotation grace).
SELECT s.site_id, s.slug, s.name, array_to_string(s.allowed_origins, E'\n'),
       s.session_timeout_ms, s.time_zone, s.raw_retention_ms,
       s.disabled_at IS NOT NULL,
       (extract(epoch FROM s.created_at) * 1000000)::bigint,
       array_to_string(s.property_allowlist, E'\n'),
       array_to_string(s.property_denylist, E'\n'),
       s.deleted_at IS NOT NULL
FROM site_keys k
JOIN sites s ON s.site_id = k.site_id
WHERE k.key_hash = decode($1, 'hex')
  AND k.kind = $2
  AND (k.expires_at IS NULL OR k.expires_at > now())
  AND s.deleted_at IS NULL
