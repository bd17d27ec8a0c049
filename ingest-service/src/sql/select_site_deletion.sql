-- Whether site $1 is marked deleted, for SitePurge; no row: the site is
-- gone (its purge finished).
SELECT deleted_at IS NOT NULL FROM sites WHERE site_id = $1
