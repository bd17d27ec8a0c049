-- Last step of DeleteSite, once its rows are purged: the sites row of the
-- deleted site $1 and (ON DELETE CASCADE) its keys.
DELETE FROM sites WHERE site_id = $1 AND deleted_at IS NOT NULL
