-- Writes the changeable settings of site $1 (validated by the caller; lists
-- as JSON arrays of strings). The slug, keys and state are not changed here.
UPDATE sites
SET name = $2,
    allowed_origins = ARRAY(SELECT jsonb_array_elements_text($3::jsonb)),
    session_timeout_ms = $4,
    time_zone = $5,
    raw_retention_ms = $6,
    property_allowlist = ARRAY(SELECT jsonb_array_elements_text($7::jsonb)),
    property_denylist = ARRAY(SELECT jsonb_array_elements_text($8::jsonb))
WHERE site_id = $1
RETURNING site_id, slug, name, array_to_string(allowed_origins, E'\n'),
          session_timeout_ms, time_zone, raw_retention_ms,
          disabled_at IS NOT NULL,
          (extract(epoch FROM created_at) * 1000000)::bigint,
          array_to_string(property_allowlist, E'\n'),
          array_to_string(property_denylist, E'\n'),
          deleted_at IS NOT NULL
