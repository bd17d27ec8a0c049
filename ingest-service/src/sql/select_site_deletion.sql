-- Whether site $1 exists and how long ago it was marked deleted (NULL: it
-- is not deleted), for SitePurge.
SELECT (extract(epoch FROM now() - deleted_at) * 1000)::bigint
FROM sites
WHERE site_id = $1
