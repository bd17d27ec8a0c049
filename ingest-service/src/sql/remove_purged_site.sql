-- Last step of a purge: removes the sites row (and, by ON DELETE CASCADE,
-- the keys) of site $1 if it was marked deleted at least $2 ms ago and no
-- row of it is left anywhere; returns whether it did. Runs with the site's
-- reduction lock held, after the batch that found nothing to delete.
DELETE FROM sites s
WHERE s.site_id = $1
  AND s.deleted_at <= now() - $2 * interval '1 millisecond'
  AND NOT EXISTS (SELECT 1 FROM event_queue WHERE site_id = $1)
  AND NOT EXISTS (SELECT 1 FROM events WHERE site_id = $1)
  AND NOT EXISTS (SELECT 1 FROM event_client_ids WHERE site_id = $1)
  AND NOT EXISTS (SELECT 1 FROM sessions WHERE site_id = $1)
  AND NOT EXISTS (SELECT 1 FROM visitors WHERE site_id = $1)
  AND NOT EXISTS (SELECT 1 FROM visitor_buckets WHERE site_id = $1)
  AND NOT EXISTS (SELECT 1 FROM rollups WHERE site_id = $1)
RETURNING 1
