-- Site administration (AdminService.UpdateSite, DisableSite, DeleteSite).
--
-- property_allowlist / property_denylist: which event property keys Ingest
-- stores for the site (an empty allowlist allows every key; the denylist
-- wins). Keys outside them are dropped from the event, which is still
-- accepted: a privacy setting, not a validation rule.
--
-- deleted_at: DeleteSite was called. The site's keys are revoked at once and
-- its rows are purged in bounded batches (ingest-service SitePurge); the
-- sites row goes last, so a purge cut short resumes on the next DeleteSite.
-- A deleted site is not listed and cannot be changed.
ALTER TABLE sites ADD COLUMN property_allowlist text[] NOT NULL DEFAULT '{}';
ALTER TABLE sites ADD COLUMN property_denylist text[] NOT NULL DEFAULT '{}';
ALTER TABLE sites ADD COLUMN deleted_at timestamptz;
