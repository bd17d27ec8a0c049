-- Every site the retention pass looks after (deleted sites are being purged
-- whole): its raw retention and session timeout, in ms.
SELECT site_id, raw_retention_ms, session_timeout_ms
FROM sites
WHERE deleted_at IS NULL
ORDER BY site_id
